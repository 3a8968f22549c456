"""Audit trail of the jury: every change to these models is logged with its actor."""

from auditlog.registry import auditlog

from review import models

auditlog.register(models.Criterion)
auditlog.register(models.JurorProfile, m2m_fields={"calls"})
auditlog.register(models.Affiliation)
auditlog.register(models.Conflict)
auditlog.register(models.ConflictDeclaration)
auditlog.register(models.InstitutionConflictDeclaration)
auditlog.register(models.Assignment)
auditlog.register(models.AssignmentProposal, exclude_fields=["progress", "result"])
auditlog.register(models.Review, exclude_fields=["updated_at"])
auditlog.register(models.CriterionScore)
auditlog.register(models.ReviewReopening)
auditlog.register(models.ConsensusReport, exclude_fields=["updated_at"])
auditlog.register(models.ConsensusScore)
auditlog.register(models.ConsensusComment)
auditlog.register(
    models.RankingRun,
    exclude_fields=["progress", "chunks_done", "result", "result_json", "engine_input"],
)
auditlog.register(models.Decision)
auditlog.register(models.BidDecision)
auditlog.register(models.PanelAdjustment)
auditlog.register(models.PanelNote, exclude_fields=["updated_at"])
auditlog.register(models.CallExport, exclude_fields=["progress"])
