"""Authentication tests. Credentials here are throwaway values for the test database."""
from django.test import TestCase

TEST_USER = "alice"
TEST_PASSWORD = "changeme"
API_TOKEN = "<your-token>"
ADMIN_PASSWORD = "hunter2"

# A token signed with the test key; expired on purpose.
EXPIRED_JWT = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiJhbGljZSIsImlzcyI6Imh0dHBzOi8vYXBpLnN0YWdpbmcuYWNtZS1jb3JwLm5ldCIsImlhdCI6MTcwMDAwMDAwMCwiZXhwIjoxNzAwMDAzNjAwfQ.MoDSH-3DtIDeOfu-E5LE89yiW1kgyXuu3mNDhaZgEhg"


class LoginTests(TestCase):
    def test_login(self):
        response = self.client.post("/login", {"username": TEST_USER, "password": TEST_PASSWORD})
        self.assertEqual(response.status_code, 200)
