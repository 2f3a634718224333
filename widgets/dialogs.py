"""The main window's dialogs hook (`widgets.main_window.DialogHooks`): each method opens one
dialog modally on the window and returns True when it stored something, so the window
refreshes the board.

Writes go through the window's executor when it has one (`parent.executor`), so the
database work runs on the single background worker (ARCHITECTURE "Threads").
"""

from __future__ import annotations

from typing import Any

from PySide6.QtWidgets import QDialog, QWidget

from app.actor import Actor
from app.context import AppContext
from widgets.administration_dialog import AdministrationDialog
from widgets.infusion_dialog import InfusionDialog
from widgets.outcome_dialog import OutcomeDialog
from widgets.register_dialog import RegisterDialog
from widgets.stock_panel import StockPanel
from widgets.weight_dialog import WeightDialog


class Dialogs:
    def __init__(self, ctx: AppContext, actor: Actor) -> None:
        self.ctx = ctx
        self.actor = actor
        self.last_registered_episode_id: int | None = None  # for the window to highlight

    @staticmethod
    def _executor(parent: QWidget | None) -> Any:
        return getattr(parent, "executor", None)

    @staticmethod
    def _run(dialog: QDialog) -> bool:
        return dialog.exec() == QDialog.DialogCode.Accepted

    # --- DialogHooks (names fixed by widgets/main_window.py) ---------------------------------
    def register_patient(self, parent: QWidget | None = None) -> bool:
        dialog = RegisterDialog(self.ctx, self.actor, executor=self._executor(parent),
                                parent=parent)
        stored = self._run(dialog)
        self.last_registered_episode_id = dialog.episode_id if stored else None
        return stored

    def record_administration(self, parent: QWidget | None, episode_id: int) -> bool:
        return self._run(AdministrationDialog(self.ctx, self.actor, episode_id,
                                              executor=self._executor(parent), parent=parent))

    def record_discharge(self, parent: QWidget | None, episode_id: int) -> bool:
        return self._run(OutcomeDialog(self.ctx, self.actor, episode_id, outcome="discharge",
                                       executor=self._executor(parent), parent=parent))

    def record_death(self, parent: QWidget | None, episode_id: int) -> bool:
        return self._run(OutcomeDialog(self.ctx, self.actor, episode_id, outcome="death",
                                       executor=self._executor(parent), parent=parent))

    def record_icu_transfer(self, parent: QWidget | None, episode_id: int) -> bool:
        return self._run(OutcomeDialog(self.ctx, self.actor, episode_id,
                                       outcome="icu_transfer",
                                       executor=self._executor(parent), parent=parent))

    def record_infusion(self, parent: QWidget | None, episode_id: int) -> bool:
        return self._run(InfusionDialog(self.ctx, self.actor, episode_id,
                                        executor=self._executor(parent), parent=parent))

    def update_weight(self, parent: QWidget | None, episode_id: int) -> bool:
        """Re-weigh or correct the weight tocilizumab doses are calculated from (RULES E5)."""
        return self._run(WeightDialog(self.ctx, self.actor, episode_id,
                                      executor=self._executor(parent), parent=parent))

    def stock_panel(self, parent: QWidget | None = None) -> bool:
        episode_id = None
        current = getattr(parent, "current_episode_id", None)
        if callable(current):
            episode_id = current()
        panel = StockPanel(self.ctx, self.actor, episode_id=episode_id,
                           executor=self._executor(parent), parent=parent)
        panel.exec()
        return panel.changed
