"""Factories for test records; cadres get valid ID numbers consistent with their birth date and gender."""

import datetime as dt
import itertools

import factory
from stdnum.cn import ric

from bangdai.accounts.models import RoleAssignment, User
from bangdai.people.choices import CadreType, Education, Gender, PoliticalStatus, Position
from bangdai.people.models import Person
from bangdai.people.protection import blind_index
from bangdai.regions.models import Region

_sequence = itertools.count(1)


def make_id_number(birth: dt.date, gender: str, county: str = "330523") -> str:
    seq = next(_sequence) % 500 * 2 + (1 if gender == Gender.MALE else 0)
    body = f"{county}{birth:%Y%m%d}{seq:03d}"
    return body + ric.calc_check_digit(body + "0")  # the function ignores the last character


def region(code: str) -> Region:
    return Region.objects.current().get(code=code)


class PersonFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Person

    name = factory.Sequence(lambda n: f"测试{n}")
    gender = Gender.MALE
    birth_date = factory.Sequence(lambda n: dt.date(1980, 1, 1) + dt.timedelta(days=n * 37))
    id_number = factory.LazyAttribute(lambda o: make_id_number(o.birth_date, o.gender))
    id_number_index = factory.LazyAttribute(lambda o: blind_index(o.id_number))
    phone = factory.Sequence(lambda n: f"138{n:08d}")
    phone_index = factory.LazyAttribute(lambda o: blind_index(o.phone))
    political_status = PoliticalStatus.PARTY_MEMBER
    education = Education.BACHELOR
    region = factory.LazyFunction(lambda: region("330523205201"))
    position = Position.COMMITTEE_MEMBER
    cadre_type = CadreType.VILLAGE_CADRE
    entry_date = dt.date(2015, 3, 1)


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    password = factory.PostGenerationMethodCall("set_password", "correct-horse-9")

    @factory.post_generation
    def saved(obj, create, extracted, **kwargs):
        if create:
            obj.save()


def user_with_role(username: str, role: str, code: str, person=None) -> User:
    user = UserFactory(username=username, person=person)
    RoleAssignment.objects.create(user=user, role=role, region=region(code))
    return user
