"""What a message is for."""

from __future__ import annotations

import enum

__all__ = ["MessageKind"]


class MessageKind(enum.Enum):
    """What a message is for; each kind has its own built-in template and legal content."""

    PAYMENT_INVITATION = "payment_invitation"
    REMINDER = "reminder"
    FINAL_NOTICE = "final_notice"
    FOURTEEN_DAY_LETTER = "fourteen_day_letter"
    """The Dutch consumer "14-dagenbrief" (art. 6:96 lid 6 BW): states the collection costs and
    gives 14 days from the day after delivery. Without it no Dutch consumer may be charged."""
    FIRST_REMINDER_BE = "first_reminder_be"
    """The free first reminder of Belgian consumer law (Book XIX WER)."""
    PLAN_INVITATION = "plan_invitation"
    PLAN_CONFIRMATION = "plan_confirmation"
    INSTALLMENT_REMINDER = "installment_reminder"
    HANDOVER_NOTICE = "handover_notice"
    CREDIT_NOTE_NOTICE = "credit_note_notice"
    REVERSAL_NOTICE = "reversal_notice"
