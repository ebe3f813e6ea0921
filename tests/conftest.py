"""Every shared fixture comes from a module in tests/fixtures/, listed here.

Test folders do not import each other's conftest or fixtures: fixtures more than one folder
uses live in tests/fixtures/, the test world's factories in tests/world.py.
"""

pytest_plugins = [
    "tests.fixtures.settings",
    "tests.fixtures.databases",
    "tests.fixtures.clock",
    "tests.fixtures.service",
    "tests.fixtures.fakes",
    "tests.fixtures.inbox",
    "tests.fixtures.stack",
]
