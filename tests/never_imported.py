"""A module that no test imports: proves that refusing a hook imports nothing."""

raise AssertionError("tests.never_imported must never be imported")
