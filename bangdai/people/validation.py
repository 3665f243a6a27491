"""Checks of ID numbers and phone numbers against the official formats and the record's other fields."""

import datetime as dt
import re
from functools import lru_cache

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from stdnum import numdb
from stdnum.cn import ric
from stdnum.exceptions import ValidationError as StdnumError

from .choices import Gender
from .protection import normalise

MOBILE_RE = re.compile(r"^1[3-9]\d{9}$")


def clean_id_number(value: str) -> str:
    """Return the normalised 18-digit resident ID number or raise a field error."""
    number = normalise(value)
    if len(number) != 18:
        raise ValidationError(_("An ID number has 18 characters."), code="id_length")
    # Not ric.validate(): it also checks the county code against the *birth* year (安吉县 330523 exists
    # "since 1983"), which refuses the real numbers of everyone born before their county code was created.
    invalid = ValidationError(_("This is not a valid resident ID number."), code="id_invalid")
    if not number[:17].isdigit():
        raise invalid
    if number[-1] != ric.calc_check_digit(number):
        raise ValidationError(_("The ID number's check character is wrong."), code="id_checksum")
    try:
        ric.get_birth_date(number)
    except StdnumError:
        raise invalid from None
    if not _known_area(number[:6]):
        raise invalid
    return number


@lru_cache(
    maxsize=8192
)  # about 3,500 area codes are in use; a roster repeats a few of them thousands of times
def _known_area(code: str) -> bool:
    return any("province" in props for _part, props in numdb.get("cn/loc").info(code))


def id_birth_date(number: str) -> dt.date:
    return ric.get_birth_date(number)


def id_gender(number: str) -> str:
    return Gender.MALE if int(number[16]) % 2 else Gender.FEMALE


def check_id_against(
    number: str, birth_date: dt.date | None, gender: str | None
) -> dict[str, ValidationError]:
    """Field errors where the ID number's embedded birth date or gender disagree with the record."""
    errors: dict[str, ValidationError] = {}
    if birth_date and id_birth_date(number) != birth_date:
        errors["birth_date"] = ValidationError(
            _("The birth date does not match the ID number (%(date)s)."),
            code="birth_mismatch",
            params={"date": id_birth_date(number).isoformat()},
        )
    if gender and id_gender(number) != gender:
        errors["gender"] = ValidationError(
            _("The gender does not match the ID number."), code="gender_mismatch"
        )
    return errors


def clean_phone(value: str) -> str:
    number = normalise(value).removeprefix("+86")
    if number and not MOBILE_RE.match(number):
        raise ValidationError(_("Enter an 11-digit mainland mobile number."), code="phone_invalid")
    return number
