"""Reads about apprentices: who may change them and their pairing history."""

from django.db.models import Prefetch

from bangdai.pairings.models import PairingMentor

from .models import Apprentice


def can_edit(user, apprentice: Apprentice) -> bool:
    return user.scope.edits(apprentice.region.path)


def pairing_history(apprentice: Apprentice):
    return apprentice.pairings.order_by("-created_at", "-pk").prefetch_related(
        Prefetch("members", queryset=PairingMentor.objects.select_related("mentor__person"))
    )
