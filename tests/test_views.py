import pytest

pytestmark = pytest.mark.django_db


def test_the_home_page_points_to_the_admin_and_counts_the_claims(client, figure):
    response = client.get("/")
    assert response.status_code == 200
    content = response.content.decode()
    assert '<a href="/admin/">Curators\' admin</a>' in content
    assert "Currently 1 figure from 1 source." in content
