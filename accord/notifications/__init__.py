"""Notifications: each person's choice of mail (immediate, a daily digest or none), per-case mutes,
and `notify()`, through which features tell people that something new awaits them.

See accord.notifications.send for the interface, and process.md "Mail and confidentiality".
"""
