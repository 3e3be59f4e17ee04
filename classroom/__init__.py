"""Classroom mode: an offline dashboard of the AI financing web, in English and Japanese.

``app.py`` at the top level holds the page Solara serves; its parts live here, one
purpose a module: translations (``i18n``), levers and scenarios (``levers``), per-tab
run state (``state``), the deal web (``web``), the story (``story``), charts
(``charts``, ``echart``), lessons (``lessons``), the controls and the page (``controls``,
``page``), team mode's shared class run and its cards (``team``, ``team_page``), the server
launcher (``serve``) and the headless-browser driver the tests and benchmark share (``probe``).
"""
