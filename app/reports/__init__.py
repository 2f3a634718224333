"""Printed reports and exports (reportlab, no Qt): handover sheet, patient summary, registry CSV."""
