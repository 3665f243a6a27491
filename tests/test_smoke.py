import pytest
from django.urls import reverse


@pytest.mark.django_db
def test_home_for_county_admin(client, world):
    client.force_login(world.county_admin_a)
    response = client.get(reverse("home"))
    assert response.status_code == 200
    assert "上墅乡" in response.content.decode()
