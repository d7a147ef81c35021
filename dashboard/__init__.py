"""The supervisors' dashboard (statistics collector and web page).

Not built yet: see the issue "Supervisor dashboard".
"""
