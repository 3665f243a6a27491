"""Batch writes: what a service applied to many items returns, one record or one error per item."""

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction

# Rows per INSERT/UPDATE statement and per lookup: well inside SQLite's and PostgreSQL's parameter limits.
BATCH_SIZE = 1000

ItemError = ValidationError | PermissionDenied


@dataclass
class Outcome[T]:
    """The result of a batch service: ``records[i]`` was written for item i, or ``errors[i]`` says why not."""

    records: list[T | None]
    errors: list[ItemError | None] = field(default_factory=list)

    @classmethod
    def sized(cls, n: int) -> "Outcome[T]":
        return cls([None] * n, [None] * n)

    def fail(self, i: int, error: ItemError) -> None:
        self.errors[i] = error

    def ok(self, i: int) -> bool:
        return self.errors[i] is None

    @property
    def failed(self) -> bool:
        return any(e is not None for e in self.errors)


def chunks[T](items: Sequence[T], size: int = BATCH_SIZE) -> Iterator[Sequence[T]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def bulk_insert[M](
    model, pending: Sequence[tuple[int, M]], outcome: Outcome[M], refuse: Callable[[list[M]], list]
) -> list[M]:
    """Insert ``(item index, unsaved object)`` pairs in batches, each batch in a savepoint; the objects written.

    When a batch hits a unique constraint (another writer got there between the checks and the insert),
    ``refuse(objects)`` returns an error or None for each: those items fail, the rest is inserted again.
    """
    written: list[M] = []
    for chunk in chunks(pending):
        left = list(chunk)
        while left:
            try:
                with transaction.atomic():
                    model.objects.bulk_create([obj for _, obj in left])
            except IntegrityError:
                errors = refuse([obj for _, obj in left])
                if not any(errors):
                    raise
                for (i, _obj), error in zip(left, errors, strict=True):
                    if error is not None:
                        outcome.fail(i, error)
                left = [pair for pair, error in zip(left, errors, strict=True) if error is None]
                continue
            for i, obj in left:
                outcome.records[i] = obj
                written.append(obj)
            break
    return written


def existing_person_ids(queryset, person_ids) -> set[int]:
    """Which of these cadres already have a row in ``queryset`` (a programme's mentors or apprentices)."""
    found: set[int] = set()
    for chunk in chunks(list(person_ids)):
        found.update(queryset.filter(person_id__in=chunk).values_list("person_id", flat=True))
    return found
