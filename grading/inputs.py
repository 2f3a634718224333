"""The observation set that the rules grade: every input key of RULES §6, typed.

This module is the contract between the form, the database, the import file and the
grading engine. Enum values are the exact strings of RULES §6 so they can travel as JSON.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum


class Vasopressor(StrEnum):
    NOREPINEPHRINE = "norepinephrine"
    EPINEPHRINE = "epinephrine"
    PHENYLEPHRINE = "phenylephrine"
    DOPAMINE = "dopamine"
    ANGIOTENSIN_II = "angiotensin_ii"
    VASOPRESSIN = "vasopressin"


class OxygenDevice(StrEnum):
    NONE = "none"
    NASAL_CANNULA = "nasal_cannula"
    BLOW_BY = "blow_by"
    HIGH_FLOW_NASAL_CANNULA = "high_flow_nasal_cannula"
    SIMPLE_FACE_MASK = "simple_face_mask"
    NON_REBREATHER = "non_rebreather"
    VENTURI_MASK = "venturi_mask"
    CPAP = "cpap"
    BIPAP = "bipap"
    INVASIVE_VENTILATION = "invasive_ventilation"


class UnableReason(StrEnum):
    UNAROUSABLE = "unarousable"
    GLOBAL_APHASIA_AWAKE = "global_aphasia_awake"


class CapdItem(StrEnum):
    """CAPD items in form order; the first four are reverse-scored (RULES I1)."""

    EYE_CONTACT = "eye_contact"
    PURPOSEFUL_ACTIONS = "purposeful_actions"
    AWARE_OF_SURROUNDINGS = "aware_of_surroundings"
    COMMUNICATES_NEEDS = "communicates_needs"
    RESTLESS = "restless"
    INCONSOLABLE = "inconsolable"
    UNDERACTIVE = "underactive"
    SLOW_TO_RESPOND = "slow_to_respond"


class CapdAnswer(StrEnum):
    NEVER = "never"
    RARELY = "rarely"
    SOMETIMES = "sometimes"
    OFTEN = "often"
    ALWAYS = "always"


class Consciousness(StrEnum):
    AWAKENS_SPONTANEOUSLY = "awakens_spontaneously"
    AWAKENS_TO_VOICE = "awakens_to_voice"
    AWAKENS_ONLY_TO_TACTILE = "awakens_only_to_tactile"
    UNAROUSABLE_OR_VIGOROUS_STIMULI = "unarousable_or_vigorous_stimuli"


class Seizure(StrEnum):
    NONE = "none"
    FOCAL_RESOLVED_RAPIDLY = "focal_resolved_rapidly"
    GENERALISED_RESOLVED_RAPIDLY = "generalised_resolved_rapidly"
    NONCONVULSIVE_ON_EEG_RESOLVED_WITH_INTERVENTION = (
        "nonconvulsive_on_eeg_resolved_with_intervention"
    )
    PROLONGED_OVER_5_MIN = "prolonged_over_5_min"
    REPETITIVE_WITHOUT_RETURN_TO_BASELINE = "repetitive_without_return_to_baseline"


class MotorFinding(StrEnum):
    NONE = "none"
    TREMOR = "tremor"
    MYOCLONUS = "myoclonus"
    HEMIPARESIS = "hemiparesis"
    PARAPARESIS = "paraparesis"


class CerebralEdema(StrEnum):
    NONE = "none"
    FOCAL_ON_NEUROIMAGING = "focal_on_neuroimaging"
    DIFFUSE_ON_NEUROIMAGING = "diffuse_on_neuroimaging"
    DECEREBRATE_OR_DECORTICATE_POSTURING = "decerebrate_or_decorticate_posturing"
    CRANIAL_NERVE_VI_PALSY = "cranial_nerve_vi_palsy"
    PAPILLEDEMA = "papilledema"
    CUSHINGS_TRIAD = "cushings_triad"
    INTRACRANIAL_HAEMORRHAGE_ONLY = "intracranial_haemorrhage_only"


class Acvpu(StrEnum):
    ALERT = "alert"
    NEW_CONFUSION = "new_confusion"
    VOICE = "voice"
    PAIN = "pain"
    UNRESPONSIVE = "unresponsive"


@dataclass(frozen=True)
class IceItems:
    """ICE entered item by item (RULES I1): maxima 4, 3, 1, 1, 1."""

    orientation: int  # 0-4: year, month, city, hospital
    naming: int  # 0-3: three objects
    following_commands: int  # 0-1
    writing: int  # 0-1: a standard sentence
    attention: int  # 0-1: count back from 100 by 10

    @property
    def total(self) -> int:
        return (
            self.orientation + self.naming + self.following_commands + self.writing
            + self.attention
        )


@dataclass(frozen=True)
class AssessmentInputs:
    """One observation set. None means "not assessed", never "normal" (RULES I8)."""

    age_years: float | None = None
    developmental_delay: bool = False
    # CRS (RULES C1-C7)
    temperature_c: float | None = None
    crs_previously_diagnosed: bool = False
    antipyretic_or_anticytokine_given: bool = False
    fever_attributed_to_other_cause: bool = False
    # For the masked-fever note of RULES C5; filled by the app from the episode's
    # administrations (not a §6 key): e.g. ("tocilizumab", "22 Nov 14:05").
    masking_drug_name: str | None = None
    masking_drug_given_at: str | None = None
    # True when the caller looked at the last 24 h of doses (the app does): no masking drug
    # then means none was given, and the C5 note is left out. The CLI's boolean has no time.
    masking_drug_checked: bool = False
    hypotension: bool | None = None
    systolic_bp: int | None = None
    vasopressors: tuple[Vasopressor, ...] = ()
    oxygen_device: OxygenDevice | None = None
    oxygen_flow_l_min: float | None = None
    # ICANS (RULES I1-I8)
    ice_score: int | None = None
    ice_items: IceItems | None = None
    ice_unable_reason: UnableReason | None = None
    capd_score: int | None = None
    capd_items: tuple[tuple[CapdItem, CapdAnswer], ...] | None = None
    capd_unable_reason: UnableReason | None = None
    consciousness: Consciousness | None = None
    loc_attributable_to_other_cause: bool = False
    seizure: Seizure | None = None
    motor_weakness: MotorFinding | None = None
    cerebral_edema: CerebralEdema | None = None
    # NEWS2 (RULES N1-N3)
    respiratory_rate: int | None = None
    spo2_percent: int | None = None
    spo2_scale: int = 1
    heart_rate: int | None = None
    acvpu: Acvpu | None = None
    # Recorded but never graded (RULES C6): CTCAE organ toxicities, e.g. {"alt_increased": 3}
    organ_toxicity_ctcae: tuple[tuple[str, int], ...] = field(default=())
