"""Compliance reads: a user's complaints, and complaint statistics for disclosure."""

from statistics import median

from django.contrib.auth import get_user_model
from django.db.models import Count, QuerySet
from django.shortcuts import get_object_or_404

from compliance.models import Complaint


def complaint_list_for_user(user) -> QuerySet[Complaint]:
    return Complaint.objects.filter(user=user).order_by("-id")


def complaint_for_user(user, complaint_id: int) -> Complaint:
    """One of the user's complaints with its thread and attachments (404 for anyone else's)."""
    return get_object_or_404(
        complaint_list_for_user(user).prefetch_related("messages__attachments"), pk=complaint_id
    )


def complaint_statistics() -> dict:
    """Complaints per 10,000 users, the median days to close, and the count by category."""
    users = get_user_model().objects.filter(is_staff=False).count()
    total = Complaint.objects.count()
    closed = Complaint.objects.filter(closed_at__isnull=False).values_list(
        "created_at", "closed_at"
    )
    days = [(end - start).total_seconds() / 86400 for start, end in closed]
    return {
        "complaints": total,
        "per_10000_users": round(total * 10000 / users, 2) if users else 0,
        "median_resolution_days": round(median(days), 1) if days else None,
        "by_category": dict(
            Complaint.objects.values_list("category").annotate(n=Count("id")).order_by("category")
        ),
    }
