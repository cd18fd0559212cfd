"""Pages for reports, triage, cases and the disclosure policy.

Split by subject: reports (the public form, the follow link, "My reports"), triage (the
queue, the report page and its actions), cases (the case page and its actions), policy.
Every view declares its rule with @access, fetches objects through accord.cases.access and
changes state only through accord.cases.actions.
"""
