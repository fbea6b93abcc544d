"""The service's English, French and Arabic sentences — the review page's, the public
forms', and the API's problem texts — and the choice of language: the ``lang`` cookie
when set (the switch links), else the browser's ``Accept-Language``. Arabic pages are
laid out right to left (:data:`DIRECTIONS`)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Literal

from matching.messages import Label, label_text
from service._i18n_ar import AR
from service._i18n_choices import AR as WAVES_AR
from service._i18n_choices import EN as WAVES_EN
from service._i18n_choices import FR as WAVES_FR

__all__ = [
    "DIRECTIONS",
    "LANGUAGES",
    "LANGUAGE_NAMES",
    "Lang",
    "Translator",
    "choose_language",
    "question_title",
    "retention_notice",
    "translator",
]

Lang = Literal["en", "fr", "ar"]
LANGUAGES: tuple[Lang, ...] = ("en", "fr", "ar")
LANGUAGE_NAMES: dict[Lang, str] = {"en": "English", "fr": "Français", "ar": "العربية"}
"""Each language in its own words: the switch links."""
DIRECTIONS: dict[Lang, str] = {"en": "ltr", "fr": "ltr", "ar": "rtl"}
LANG_COOKIE = "marraine_lang"

Translator = Callable[..., str]

_EN_PAGE: dict[str, str] = {
    "app.name": "Marraine",
    "app.tagline": "Mentor–mentee matching, reviewed by people",
    "nav.skip": "Skip to content",
    "nav.programmes": "Programmes",
    "nav.signout": "Sign out",
    "nav.language": "Language",
    "signin.title": "Coordinator sign-in",
    "signin.intro": "Sign in with the coordinator key your programme gave you.",
    "signin.key": "Coordinator key",
    "signin.key_help": "It looks like key_… followed by a long secret. It is never shown again.",
    "signin.submit": "Sign in",
    "signin.invalid": "This key is unknown, revoked or mistyped.",
    "signin.throttled": "Too many failed attempts. Wait a minute, then try again.",
    "signin.researcher": (
        "This key is read-only (researcher). The review page is for coordinators; "
        "researchers use the API."
    ),
    "programmes.title": "Programmes",
    "programmes.none": "No programme yet.",
    "programmes.open": "Open",
    "dashboard.title": "Programme dashboard",
    "dashboard.participants": "Participants",
    "dashboard.mentees": "Mentees",
    "dashboard.mentors": "Mentors",
    "dashboard.capacity": "Mentor seats",
    "dashboard.active": "Active pairs",
    "dashboard.runs": "Match runs",
    "dashboard.no_runs": "No run yet: start one below once participants are loaded.",
    "dashboard.start": "Start a match run",
    "dashboard.objective": "Objective",
    "dashboard.objective.default": "Programme default",
    "dashboard.no_active": "No pairs are active yet: publish a reviewed run.",
    "dashboard.published_note": "Published from run",
    "dashboard.more_active": "{count} more active pairs are not listed.",
    "objective.coverage": "Coverage — as many mentees matched as possible",
    "objective.total": "Total — highest total score",
    "objective.fair": "Fair — highest lowest score",
    "objective.stable": "Stable — no pair would both rather be together",
    "runs.created": "Created",
    "runs.status": "Status",
    "runs.progress": "Progress",
    "runs.result": "Result",
    "runs.open": "Review",
    "runs.rematch_of": "rematch of",
    "runs.published": "published",
    "runs.matched_of": "{matched} of {mentees} mentees matched",
    "status.queued": "queued",
    "status.running": "running",
    "status.succeeded": "succeeded",
    "status.failed": "failed",
    "status.cancelled": "cancelled",
    "run.title": "Run review",
    "run.back": "Back to the programme",
    "run.waiting": "The run is {status}. This page updates by itself.",
    "run.failed": "The run did not finish: {reason}",
    "run.summary": "Summary",
    "run.matched": "Matched",
    "run.unmatched": "Unmatched",
    "run.mean_score": "Mean score",
    "run.min_score": "Lowest score",
    "run.gap": "Optimality gap",
    "run.objective": "Objective",
    "run.decisions": "Decisions",
    "run.pairs": "Suggested pairs",
    "run.legend": "Score bar legend: each colour is one criterion's share of the score",
    "run.no_breakdown": "no breakdown (chosen by a coordinator)",
    "run.filters": "Filter and sort",
    "run.filter.decision": "Decision",
    "run.filter.region": "Region",
    "run.filter.group": "Group",
    "run.filter.criterion_unmet": "Criterion not met",
    "run.filter.min_score": "Score at least",
    "run.filter.max_score": "Score at most",
    "run.filter.sort": "Sort by",
    "run.filter.any": "Any",
    "run.filter.apply": "Apply",
    "run.filter.reset": "Reset",
    "run.sort.score_desc": "Score, highest first",
    "run.sort.score_asc": "Score, lowest first",
    "run.sort.mentee": "Mentee",
    "run.sort.criterion": "{criterion}, lowest first",
    "run.shown": "{shown} of {total} pairs shown",
    "run.none_shown": "No pair matches these filters.",
    "run.page": "Page {page} of {pages}",
    "run.prev": "Previous page",
    "run.next": "Next page",
    "col.select": "Select",
    "col.mentee": "Mentee",
    "col.mentor": "Mentor",
    "col.score": "Score",
    "col.why": "Why",
    "col.alternatives": "Alternatives",
    "col.decision": "Decision",
    "col.actions": "Actions",
    "select.pair": "Select the pair {mentee} – {mentor}",
    "decision.suggested": "suggested",
    "decision.approved": "approved",
    "decision.rejected": "rejected",
    "decision.locked": "locked",
    "action.approve": "Approve",
    "action.reject": "Reject",
    "action.lock": "Lock",
    "action.swap": "Swap",
    "action.label": "{action} {mentee} – {mentor}",
    "swap.label": "Other mentor for {mentee}",
    "swap.none": "no alternative",
    "swap.option": "{mentor} — score {score}, {spare} free",
    "decided.ok": "Saved: {decision}.",
    "bulk.title": "Bulk decision",
    "bulk.action": "Decision for the selected pairs",
    "bulk.selected": "Apply to selected",
    "bulk.shown": "Apply to every suggested pair shown",
    "bulk.done": "{count} pairs: {decision}.",
    "bulk.nothing": "No pair selected.",
    "unmatched.title": "Unmatched mentees",
    "unmatched.page": "Page {page} of {pages} ({total} in all)",
    "unmatched.none": "Every mentee has a mentor.",
    "unmatched.reason": "Reason",
    "unmatched.detail": "Detail",
    "unmatched.help": "What would help",
    "reason.no_allowed_mentor": "no mentor passes the rules",
    "reason.capacity_exhausted": "the mentors who fit her are full",
    "reason.below_min_score": "every fitting mentor scores below the minimum",
    "help.no_allowed_mentor": "Recruit a mentor speaking {languages} who offers {needs}.",
    "help.capacity_exhausted": (
        "Give a fitting mentor one more seat, or reject a weaker pair of hers; "
        "best alternatives: {alternatives}."
    ),
    "help.below_min_score": "Recruit a mentor who offers {needs}, or lower the minimum score.",
    "help.nothing_known": "her needs and languages are not recorded",
    "gaps.title": "Recruitment gaps",
    "gaps.intro": "Mentors to recruit: unmatched mentees by need and language.",
    "gaps.none": "No gap: no mentee is left out for want of a mentor.",
    "gaps.need": "Need",
    "side.mentee": "mentees",
    "side.mentor": "mentors",
    "warnings.title": "Input warnings",
    "warnings.intro": "The run did not use these as the files might suggest:",
    "warning.unread_column": (
        "No criterion, rule or role reads the {side} column “{column}” (list it under ignore "
        "if that is intended)."
    ),
    "warning.rule_off": "An optional rule is off: the {side} column “{column}” is absent.",
    "warning.rule_column_empty": "A rule reads the {side} column “{column}”, which is empty.",
    "warning.role_absent": "The {side} column “{column}” named in the configuration is absent.",
    "warning.demand_absent": (
        "The {side} column “{column}” is absent: everyone counts as asking for one mentor."
    ),
    "warning.capacity_absent": (
        "The {side} column “{column}” is absent: every mentor takes one mentee."
    ),
    "warning.min_load_absent": "The {side} column “{column}” is absent: no mentor has a minimum.",
    "quotas.title": "Quotas",
    "quotas.group": "Group",
    "quotas.required": "Required",
    "quotas.matched": "Matched",
    "quotas.kind": "Kind",
    "quotas.outcome": "Outcome",
    "quotas.hard": "hard",
    "quotas.soft": "soft",
    "quotas.met": "met",
    "quotas.short": "short by {short}",
    "quotas.penalty": "score given up: {penalty}",
    "groups.title": "Match rate by group",
    "groups.column": "Column",
    "groups.value": "Group",
    "groups.mentees": "Mentees",
    "groups.matched": "Matched",
    "groups.rate": "Match rate",
    "groups.mean": "Mean score",
    "gaps.by_group": "Unmatched by group",
    "gaps.group_row": (
        "{mentees} unmatched in {group}; {sharing} of them need {need} in {language}."
    ),
    "gaps.group_row_plain": "{mentees} unmatched in {group}.",
    "gaps.group_row_need": "{mentees} unmatched in {group}; {sharing} of them need {need}.",
    "check.title": "Check before running",
    "check.intro": (
        "What the run will read: the column each role, criterion and rule uses, columns nobody "
        "reads, and whether each quota can be met. Nothing is matched."
    ),
    "check.submit": "Check",
    "check.status.on": "on",
    "check.status.off": "off (optional, column absent)",
    "check.status.refused": "refused: column absent",
    "check.excluded": "{count} pairs excluded",
    "check.missing": "absent",
    "check.clean": "Nothing to report: every column is accounted for.",
    "check.roles": "Roles",
    "check.criteria": "Criteria",
    "check.rules": "Rules",
    "check.quotas": "Quotas",
    "check.unread": "Columns nobody reads",
    "check.refused": "The run would be refused: {reason}",
    "check.unshared.mentee": "{count} no mentor has: {values}",
    "check.unshared.mentor": "{count} no mentee has: {values}",
    "dashboard.strict": "Strict: refuse the run on any warning",
    "rematch.title": "Rematch",
    "rematch.intro": (
        "Run the matching again: approved and locked pairs are kept, rejected pairs "
        "are never proposed again, and other pairs change as little as possible."
    ),
    "rematch.submit": "Rematch honouring decisions",
    "diff.title": "What changed",
    "diff.link": "What changed since the previous run",
    "diff.before": "Before",
    "diff.after": "After",
    "diff.kept": "Unchanged",
    "diff.changed": "Changed mentor",
    "diff.new": "Newly matched",
    "diff.lost": "No longer matched",
    "diff.none": "Nothing changed.",
    "diff.previous": "Previous run",
    "diff.honoured": (
        "{kept} approved or locked pairs kept; {rejected} rejected pairs not proposed again."
    ),
    "publish.title": "Publish",
    "publish.intro": "Make this run's approved and locked pairs the programme's active pairs.",
    "publish.submit": "Publish approved pairs",
    "publish.done": "Published: {count} active pairs.",
    "publish.already": "This run was published on {when}.",
    "export.title": "Export",
    "export.csv": "Pairs as CSV",
    "export.xlsx": "Pairs as Excel (XLSX)",
    "charts.title": "Charts",
    "charts.table": "The numbers behind this chart",
    "chart.scores": "Score distribution",
    "chart.scores.x": "Score",
    "chart.scores.y": "Pairs",
    "chart.load": "Mentor load",
    "chart.load.x": "Share of seats used",
    "chart.load.y": "Mentors",
    "chart.rate_by": "Match rate by {column}",
    "chart.score_by": "Mean score by {column}",
    "chart.match_rate": "Match rate",
    "chart.mean_score": "Mean score",
    "chart.group": "Group",
    "chart.value": "Value",
    "chart.empty": "No data yet.",
    "group.cooperative": "cooperative member",
    "group.self_employed": "self-employed",
    "group.student": "student",
    "group.(missing)": "(not given)",
    "criterion.needs": "needs",
    "criterion.language": "language",
    "criterion.availability": "availability",
    "criterion.region": "region",
    "criterion.sector": "sector",
    "criterion.goals": "goals",
    "error.title": "Something is not right",
    "error.403": (
        "This form has expired or was not sent by this page. Reload the page and try again."
    ),
    "error.404": "There is nothing here, or it belongs to another programme.",
    "error.409": "This cannot be done now: {detail}",
    "error.422": "This request was not understood: {detail}",
    "error.other": "The request failed ({status}).",
    "error.home": "Back to the start",
    "problem.run_not_succeeded": "decisions need a finished run; this one is {status}.",
    "problem.run_not_ready": "this run is {status}; its results are not ready.",
    "problem.pair_not_found": "this pair is not in this run.",
    "problem.unknown_action": "this decision is unknown.",
    "problem.unknown_objective": "this objective is unknown.",
    "problem.swap_needs_mentor": "choose the new mentor first.",
    "problem.not_an_alternative": "that mentor is not one of the mentee's alternatives.",
    "problem.mentor_full": "that mentor has no free seat left.",
    "problem.mentors_full": (
        "{mentors} mentor(s) would have more mentees than seats; nothing was decided."
    ),
    "problem.duplicate_mentor": "the mentee already has that mentor.",
    "problem.publish_not_succeeded": "only a finished run can be published; this one is {status}.",
    "problem.no_configuration": "the programme has no configuration.",
    "problem.idempotency_key_reused": "this request was already sent with other content.",
    "problem.rematch_not_found": "the run to rematch does not exist.",
    "problem.rematch_not_succeeded": "only a finished run can be rematched; this one is {status}.",
    "problem.run_finished": "the run is already {status}.",
    "checkin.title": "How is your pair going?",
    "checkin.intro": (
        "{programme} paired you with {partner}. "
        "Your answer goes to the programme's coordinators only."
    ),
    "checkin.meeting": "Are you meeting?",
    "checkin.yes": "Yes",
    "checkin.no": "No",
    "checkin.rating": "How is it going, from 1 (badly) to 5 (very well)?",
    "checkin.continuing": "Are you continuing?",
    "checkin.continuing_yes": "Yes, we are continuing",
    "checkin.ended": "No, it ended early",
    "checkin.reason": "If it ended early, why?",
    "checkin.reason.none": "—",
    "checkin.reason.goal_reached": "The goals were reached",
    "checkin.reason.no_time": "Not enough time",
    "checkin.reason.no_contact": "We could not get in touch",
    "checkin.reason.poor_fit": "We were not a good fit",
    "checkin.reason.moved_away": "A move or a change of situation",
    "checkin.reason.other": "Another reason",
    "checkin.comment": "Anything to add? (optional)",
    "checkin.submit": "Send my answer",
    "checkin.thanks": (
        "Thank you: your answer is recorded. You may change it while this link works."
    ),
    "checkin.answered_before": "You answered already; sending again replaces your answer.",
    "checkin.expires": "This link works until {when}.",
    "checkin.unknown": "This check-in link is unknown. Check that you copied all of it.",
    "checkin.closed": (
        "This check-in link was closed or has expired. Ask the programme for a new one."
    ),
    "checkin.throttled": "Too many wrong links from here. Wait a minute, then try again.",
    "checkin.invalid": "Please answer every question (and say why if the pair ended early).",
    "dashboard.pending": "Sign-ups to approve",
    "problem.form_not_found": "this sign-up form is not in this programme.",
    "problem.sign_up_not_found": "some of the ids are not pending sign-ups of this programme.",
    "sign_ups.title": "Sign-ups to approve",
    "sign_ups.intro": (
        "People who signed up through a form. Runs read them once approved; rejecting "
        "erases their answers."
    ),
    "sign_ups.pick": "Select",
    "sign_ups.name": "Name",
    "sign_ups.side": "Side",
    "sign_ups.submitted": "Signed up",
    "sign_ups.side.mentee": "mentee",
    "sign_ups.side.mentor": "mentor",
    "sign_ups.approve": "Approve the selected",
    "sign_ups.reject": "Reject and erase the selected",
    "problem.unknown_sign_up": "a sign-up is named wrongly.",
    "sign_up.heading": "Sign up",
    "sign_up.title.mentee": "Sign up as a mentee",
    "sign_up.title.mentor": "Sign up as a mentor",
    "sign_up.own_title": "Your answers",
    "sign_up.intro": "{programme}: tell us about yourself so that we can find you the right match.",
    "sign_up.status.pending": "The team has not reviewed your sign-up yet.",
    "sign_up.status.approved": "The team has approved your sign-up.",
    "sign_up.required_note": "Questions marked * must be answered.",
    "sign_up.problems": "Please correct these answers:",
    "sign_up.level": "Level",
    "sign_up.role.name": "Your name",
    "sign_up.role.email": "Your e-mail address",
    "sign_up.role.language": "The language we write to you in",
    "sign_up.role.capacity": "How many mentees you can take",
    "sign_up.level_hint.mentee": (
        "Tick each topic and give your level, from 1 (beginner) to 5 (expert)."
    ),
    "sign_up.level_hint.mentor": (
        "Tick each topic you can teach and give your level, from 1 (beginner) to 5 (expert)."
    ),
    "sign_up.availability_hint": (
        "Your free hours each week, in your local time (leave a day empty if you are not free)."
    ),
    "sign_up.day": "Day",
    "sign_up.from": "From",
    "sign_up.to": "To",
    "sign_up.day.mon": "Monday",
    "sign_up.day.tue": "Tuesday",
    "sign_up.day.wed": "Wednesday",
    "sign_up.day.thu": "Thursday",
    "sign_up.day.fri": "Friday",
    "sign_up.day.sat": "Saturday",
    "sign_up.day.sun": "Sunday",
    "sign_up.retention": (
        "The programme keeps your answers only to match you and follow your mentoring, "
        "and erases them when the programme ends or as soon as you withdraw them "
        "through your own link."
    ),
    "sign_up.consent": "I agree that the programme stores my answers to match me.",
    "sign_up.guardian": "A parent or legal guardian agrees to this sign-up.",
    "sign_up.submit": "Send my sign-up",
    "sign_up.save": "Save my corrections",
    "sign_up.saved": "Your corrections were saved.",
    "sign_up.withdraw_explained": (
        "Withdrawing erases your answers, and any pair you were part of, for good."
    ),
    "sign_up.withdraw": "Withdraw and erase my data",
    "sign_up.done": (
        "Thank you: {programme} received your sign-up. The team will review it before matching."
    ),
    "sign_up.own_link": (
        "Your own link: keep it to see, correct or withdraw your answers at any time. "
        "Do not share it."
    ),
    "sign_up.withdrawn": "Your data was erased from {programme}.",
    "sign_up.unknown": "This link is unknown. Check that you copied all of it.",
    "sign_up.closed": (
        "This sign-up link was closed or has expired. Ask the programme for a new one."
    ),
    "sign_up.throttled": "Too many attempts from here. Wait a while, then try again.",
    "followup.title": "After publishing",
    "followup.messages": "Messages: {sent} sent, {failed} failed, {waiting} waiting.",
    "followup.issued": "Check-in links issued",
    "followup.answered": "Answers",
    "followup.rate": "Response rate",
    "followup.mean": "Mean rating",
    "followup.by_group": "Mean rating by {column}",
    "followup.at_risk": "Pairs at risk",
    "followup.none_at_risk": "No pair at risk among the answers.",
    "followup.no_checkins": "No check-in link has been issued yet.",
    "followup.outcome.good": "going well",
    "followup.outcome.poor": "not going well",
    "followup.outcome.ended_early": "ended early",
    "problem.ranks_not_found": "these ranked choices are not stored.",
    "problem.last_admin_key": "this is the last admin key: create another admin key first.",
}

_FR_PAGE: dict[str, str] = {
    "app.name": "Marraine",
    "app.tagline": "Mise en relation mentor·es–mentorées, revue par des personnes",
    "nav.skip": "Aller au contenu",
    "nav.programmes": "Programmes",
    "nav.signout": "Se déconnecter",
    "nav.language": "Langue",
    "signin.title": "Connexion coordinatrice",
    "signin.intro": "Connectez-vous avec la clé de coordination remise par votre programme.",
    "signin.key": "Clé de coordination",
    "signin.key_help": (
        "Elle commence par key_… suivi d'un long secret. Elle n'est jamais réaffichée."
    ),
    "signin.submit": "Se connecter",
    "signin.invalid": "Cette clé est inconnue, révoquée ou mal saisie.",
    "signin.throttled": "Trop de tentatives échouées. Attendez une minute, puis réessayez.",
    "signin.researcher": (
        "Cette clé est en lecture seule (recherche). La page de revue est réservée aux "
        "coordinatrices ; la recherche passe par l'API."
    ),
    "programmes.title": "Programmes",
    "programmes.none": "Aucun programme pour l'instant.",
    "programmes.open": "Ouvrir",
    "dashboard.title": "Tableau de bord du programme",
    "dashboard.participants": "Participantes",
    "dashboard.mentees": "Mentorées",
    "dashboard.mentors": "Mentor·es",
    "dashboard.capacity": "Places de mentorat",
    "dashboard.active": "Binômes actifs",
    "dashboard.runs": "Calculs d'appariement",
    "dashboard.no_runs": (
        "Aucun calcul pour l'instant : lancez-en un ci-dessous une fois les participantes chargées."
    ),
    "dashboard.start": "Lancer un calcul d'appariement",
    "dashboard.objective": "Objectif",
    "dashboard.objective.default": "Par défaut du programme",
    "dashboard.no_active": "Aucun binôme actif : publiez un calcul revu.",
    "dashboard.published_note": "Publiés depuis le calcul",
    "dashboard.more_active": "{count} autres binômes actifs ne sont pas listés.",
    "objective.coverage": "Couverture — le plus de mentorées appariées",
    "objective.total": "Total — le score total le plus haut",
    "objective.fair": "Équité — le plus bas score le plus haut",
    "objective.stable": "Stable — aucune paire non formée ne se préférerait mutuellement",
    "runs.created": "Créé",
    "runs.status": "État",
    "runs.progress": "Avancement",
    "runs.result": "Résultat",
    "runs.open": "Revoir",
    "runs.rematch_of": "recalcul de",
    "runs.published": "publié",
    "runs.matched_of": "{matched} mentorées appariées sur {mentees}",
    "status.queued": "en attente",
    "status.running": "en cours",
    "status.succeeded": "terminé",
    "status.failed": "échoué",
    "status.cancelled": "annulé",
    "run.title": "Revue du calcul",
    "run.back": "Retour au programme",
    "run.waiting": "Le calcul est {status}. Cette page se met à jour toute seule.",
    "run.failed": "Le calcul n'a pas abouti : {reason}",
    "run.summary": "Résumé",
    "run.matched": "Appariées",
    "run.unmatched": "Sans mentor·e",
    "run.mean_score": "Score moyen",
    "run.min_score": "Score le plus bas",
    "run.gap": "Écart à l'optimum",
    "run.objective": "Objectif",
    "run.decisions": "Décisions",
    "run.pairs": "Binômes proposés",
    "run.legend": "Légende des barres : chaque couleur est la part d'un critère dans le score",
    "run.no_breakdown": "pas de détail (choisi par une coordinatrice)",
    "run.filters": "Filtrer et trier",
    "run.filter.decision": "Décision",
    "run.filter.region": "Région",
    "run.filter.group": "Groupe",
    "run.filter.criterion_unmet": "Critère non rempli",
    "run.filter.min_score": "Score au moins",
    "run.filter.max_score": "Score au plus",
    "run.filter.sort": "Trier par",
    "run.filter.any": "Tous",
    "run.filter.apply": "Appliquer",
    "run.filter.reset": "Réinitialiser",
    "run.sort.score_desc": "Score, du plus haut",
    "run.sort.score_asc": "Score, du plus bas",
    "run.sort.mentee": "Mentorée",
    "run.sort.criterion": "{criterion}, du plus bas",
    "run.shown": "{shown} binômes affichés sur {total}",
    "run.none_shown": "Aucun binôme ne correspond à ces filtres.",
    "run.page": "Page {page} sur {pages}",
    "run.prev": "Page précédente",
    "run.next": "Page suivante",
    "col.select": "Choisir",
    "col.mentee": "Mentorée",
    "col.mentor": "Mentor·e",
    "col.score": "Score",
    "col.why": "Pourquoi",
    "col.alternatives": "Autres choix",
    "col.decision": "Décision",
    "col.actions": "Actions",
    "select.pair": "Choisir le binôme {mentee} – {mentor}",
    "decision.suggested": "proposé",
    "decision.approved": "approuvé",
    "decision.rejected": "refusé",
    "decision.locked": "verrouillé",
    "action.approve": "Approuver",
    "action.reject": "Refuser",
    "action.lock": "Verrouiller",
    "action.swap": "Échanger",
    "action.label": "{action} {mentee} – {mentor}",
    "swap.label": "Autre mentor·e pour {mentee}",
    "swap.none": "aucun autre choix",
    "swap.option": "{mentor} — score {score}, {spare} place(s)",
    "decided.ok": "Enregistré : {decision}.",
    "bulk.title": "Décision groupée",
    "bulk.action": "Décision pour les binômes choisis",
    "bulk.selected": "Appliquer aux binômes choisis",
    "bulk.shown": "Appliquer à tous les binômes proposés affichés",
    "bulk.done": "{count} binômes : {decision}.",
    "bulk.nothing": "Aucun binôme choisi.",
    "unmatched.title": "Mentorées sans mentor·e",
    "unmatched.page": "Page {page} sur {pages} ({total} au total)",
    "unmatched.none": "Chaque mentorée a un·e mentor·e.",
    "unmatched.reason": "Raison",
    "unmatched.detail": "Détail",
    "unmatched.help": "Ce qui aiderait",
    "reason.no_allowed_mentor": "aucun·e mentor·e ne respecte les règles",
    "reason.capacity_exhausted": "les mentor·es qui lui conviennent sont complètes",
    "reason.below_min_score": "toutes les mentor·es possibles sont sous le score minimum",
    "help.no_allowed_mentor": "Recruter un·e mentor·e parlant {languages} qui propose {needs}.",
    "help.capacity_exhausted": (
        "Donner une place de plus à un·e mentor·e qui convient, ou refuser un binôme plus "
        "faible ; meilleurs autres choix : {alternatives}."
    ),
    "help.below_min_score": (
        "Recruter un·e mentor·e qui propose {needs}, ou baisser le score minimum."
    ),
    "help.nothing_known": "ses besoins et langues ne sont pas renseignés",
    "gaps.title": "Besoins de recrutement",
    "gaps.intro": "Mentor·es à recruter : mentorées sans mentor·e par besoin et par langue.",
    "gaps.none": "Aucun manque : aucune mentorée n'est laissée de côté faute de mentor·e.",
    "gaps.need": "Besoin",
    "side.mentee": "mentorées",
    "side.mentor": "mentor·es",
    "warnings.title": "Avertissements sur les données",
    "warnings.intro": (
        "Le calcul n'a pas utilisé ceci comme les fichiers pourraient le laisser croire :"
    ),
    "warning.unread_column": (
        "Aucun critère, règle ou rôle ne lit la colonne « {column} » des {side} (ajoutez-la à "
        "ignore si c'est voulu)."
    ),
    "warning.rule_off": (
        "Une règle facultative est désactivée : la colonne « {column} » des {side} est absente."
    ),
    "warning.rule_column_empty": "Une règle lit la colonne « {column} » des {side}, qui est vide.",
    "warning.role_absent": (
        "La colonne « {column} » des {side} nommée dans la configuration est absente."
    ),
    "warning.demand_absent": (
        "La colonne « {column} » des {side} est absente : chacune demande un·e mentor·e."
    ),
    "warning.capacity_absent": (
        "La colonne « {column} » des {side} est absente : chaque mentor·e prend une mentorée."
    ),
    "warning.min_load_absent": (
        "La colonne « {column} » des {side} est absente : aucun minimum par mentor·e."
    ),
    "quotas.title": "Quotas",
    "quotas.group": "Groupe",
    "quotas.required": "Exigé",
    "quotas.matched": "Appariées",
    "quotas.kind": "Nature",
    "quotas.outcome": "Résultat",
    "quotas.hard": "strict",
    "quotas.soft": "souple",
    "quotas.met": "atteint",
    "quotas.short": "manque {short}",
    "quotas.penalty": "score cédé : {penalty}",
    "groups.title": "Taux d'appariement par groupe",
    "groups.column": "Colonne",
    "groups.value": "Groupe",
    "groups.mentees": "Mentorées",
    "groups.matched": "Appariées",
    "groups.rate": "Taux d'appariement",
    "groups.mean": "Score moyen",
    "gaps.by_group": "Sans mentor·e, par groupe",
    "gaps.group_row": (
        "{mentees} sans mentor·e dans {group} ; {sharing} d'entre elles ont besoin de {need} "
        "en {language}."
    ),
    "gaps.group_row_plain": "{mentees} sans mentor·e dans {group}.",
    "gaps.group_row_need": (
        "{mentees} sans mentor·e dans {group} ; {sharing} d'entre elles ont besoin de {need}."
    ),
    "check.title": "Vérifier avant de lancer",
    "check.intro": (
        "Ce que le calcul lira : la colonne de chaque rôle, critère et règle, les colonnes que "
        "rien ne lit, et si chaque quota peut être atteint. Rien n'est apparié."
    ),
    "check.submit": "Vérifier",
    "check.status.on": "active",
    "check.status.off": "désactivée (facultative, colonne absente)",
    "check.status.refused": "refusée : colonne absente",
    "check.excluded": "{count} binômes exclus",
    "check.missing": "absente",
    "check.clean": "Rien à signaler : chaque colonne est prise en compte.",
    "check.roles": "Rôles",
    "check.criteria": "Critères",
    "check.rules": "Règles",
    "check.quotas": "Quotas",
    "check.unread": "Colonnes que rien ne lit",
    "check.refused": "Le calcul serait refusé : {reason}",
    "check.unshared.mentee": "{count} qu'aucun mentor n'a : {values}",
    "check.unshared.mentor": "{count} qu'aucune mentorée n'a : {values}",
    "dashboard.strict": "Strict : refuser le calcul au moindre avertissement",
    "rematch.title": "Recalculer",
    "rematch.intro": (
        "Relancer l'appariement : les binômes approuvés et verrouillés sont gardés, les "
        "binômes refusés ne sont plus proposés, les autres changent le moins possible."
    ),
    "rematch.submit": "Recalculer en respectant les décisions",
    "diff.title": "Ce qui a changé",
    "diff.link": "Ce qui a changé depuis le calcul précédent",
    "diff.before": "Avant",
    "diff.after": "Après",
    "diff.kept": "Inchangés",
    "diff.changed": "Mentor·e changé·e",
    "diff.new": "Nouvellement appariées",
    "diff.lost": "Plus appariées",
    "diff.none": "Rien n'a changé.",
    "diff.previous": "Calcul précédent",
    "diff.honoured": (
        "{kept} binômes approuvés ou verrouillés gardés ; {rejected} binômes refusés non "
        "reproposés."
    ),
    "publish.title": "Publier",
    "publish.intro": (
        "Faire des binômes approuvés et verrouillés de ce calcul les binômes actifs du programme."
    ),
    "publish.submit": "Publier les binômes approuvés",
    "publish.done": "Publié : {count} binômes actifs.",
    "publish.already": "Ce calcul a été publié le {when}.",
    "export.title": "Exporter",
    "export.csv": "Binômes en CSV",
    "export.xlsx": "Binômes en Excel (XLSX)",
    "charts.title": "Graphiques",
    "charts.table": "Les chiffres de ce graphique",
    "chart.scores": "Répartition des scores",
    "chart.scores.x": "Score",
    "chart.scores.y": "Binômes",
    "chart.load": "Charge des mentor·es",
    "chart.load.x": "Part des places occupées",
    "chart.load.y": "Mentor·es",
    "chart.rate_by": "Taux d'appariement par {column}",
    "chart.score_by": "Score moyen par {column}",
    "chart.match_rate": "Taux d'appariement",
    "chart.mean_score": "Score moyen",
    "chart.group": "Groupe",
    "chart.value": "Valeur",
    "chart.empty": "Pas encore de données.",
    "group.cooperative": "membre de coopérative",
    "group.self_employed": "auto-entrepreneuse",
    "group.student": "étudiante",
    "group.(missing)": "(non renseigné)",
    "criterion.needs": "besoins",
    "criterion.language": "langue",
    "criterion.availability": "disponibilités",
    "criterion.region": "région",
    "criterion.sector": "secteur",
    "criterion.goals": "objectifs",
    "error.title": "Quelque chose ne va pas",
    "error.403": (
        "Ce formulaire a expiré ou ne vient pas de cette page. Rechargez la page et recommencez."
    ),
    "error.404": "Il n'y a rien ici, ou cela appartient à un autre programme.",
    "error.409": "Impossible pour l'instant : {detail}",
    "error.422": "Cette demande n'a pas été comprise : {detail}",
    "error.other": "La demande a échoué ({status}).",
    "error.home": "Retour à l'accueil",
    "problem.run_not_succeeded": (
        "les décisions portent sur un calcul terminé ; celui-ci est {status}."
    ),
    "problem.run_not_ready": "ce calcul est {status} ; ses résultats ne sont pas prêts.",
    "problem.pair_not_found": "ce binôme n'est pas dans ce calcul.",
    "problem.unknown_action": "cette décision est inconnue.",
    "problem.unknown_objective": "cet objectif est inconnu.",
    "problem.swap_needs_mentor": "choisissez d'abord le ou la nouvelle mentor·e.",
    "problem.not_an_alternative": (
        "ce·tte mentor·e ne fait pas partie des alternatives de la mentorée."
    ),
    "problem.mentor_full": "ce·tte mentor·e n'a plus de place libre.",
    "problem.mentors_full": (
        "{mentors} mentor·e(s) auraient plus de mentorées que de places ; rien n'a été décidé."
    ),
    "problem.duplicate_mentor": "la mentorée a déjà ce·tte mentor·e.",
    "problem.publish_not_succeeded": (
        "seul un calcul terminé peut être publié ; celui-ci est {status}."
    ),
    "problem.no_configuration": "le programme n'a pas de configuration.",
    "problem.idempotency_key_reused": "cette demande a déjà été envoyée avec un autre contenu.",
    "problem.rematch_not_found": "le calcul à recalculer n'existe pas.",
    "problem.rematch_not_succeeded": (
        "seul un calcul terminé peut être recalculé ; celui-ci est {status}."
    ),
    "problem.run_finished": "le calcul est déjà {status}.",
    "checkin.title": "Comment se passe votre binôme ?",
    "checkin.intro": (
        "{programme} vous a mis en relation avec {partner}. "
        "Votre réponse n'est lue que par l'équipe du programme."
    ),
    "checkin.meeting": "Vous rencontrez-vous ?",
    "checkin.yes": "Oui",
    "checkin.no": "Non",
    "checkin.rating": "Comment cela se passe-t-il, de 1 (mal) à 5 (très bien) ?",
    "checkin.continuing": "Continuez-vous ?",
    "checkin.continuing_yes": "Oui, nous continuons",
    "checkin.ended": "Non, le mentorat s'est arrêté",
    "checkin.reason": "S'il s'est arrêté, pourquoi ?",
    "checkin.reason.none": "—",
    "checkin.reason.goal_reached": "Les objectifs sont atteints",
    "checkin.reason.no_time": "Pas assez de temps",
    "checkin.reason.no_contact": "Nous n'avons pas réussi à nous joindre",
    "checkin.reason.poor_fit": "Nous ne nous entendions pas",
    "checkin.reason.moved_away": "Un déménagement ou un changement de situation",
    "checkin.reason.other": "Une autre raison",
    "checkin.comment": "Quelque chose à ajouter ? (facultatif)",
    "checkin.submit": "Envoyer ma réponse",
    "checkin.thanks": (
        "Merci : votre réponse est enregistrée. "
        "Vous pouvez la modifier tant que ce lien fonctionne."
    ),
    "checkin.answered_before": "Vous avez déjà répondu ; un nouvel envoi remplace votre réponse.",
    "checkin.expires": "Ce lien fonctionne jusqu'au {when}.",
    "checkin.unknown": "Ce lien de suivi est inconnu. Vérifiez que vous l'avez copié en entier.",
    "checkin.closed": (
        "Ce lien de suivi a été fermé ou a expiré. Demandez-en un nouveau au programme."
    ),
    "checkin.throttled": (
        "Trop de liens erronés depuis cet appareil. Patientez une minute, puis réessayez."
    ),
    "checkin.invalid": (
        "Répondez à chaque question (et dites pourquoi si le mentorat s'est arrêté)."
    ),
    "dashboard.pending": "Inscriptions à valider",
    "problem.form_not_found": "ce formulaire d'inscription n'est pas dans ce programme.",
    "problem.sign_up_not_found": (
        "certains identifiants ne sont pas des inscriptions en attente de ce programme."
    ),
    "sign_ups.title": "Inscriptions à valider",
    "sign_ups.intro": (
        "Les personnes inscrites par un formulaire. Les exécutions les lisent une fois "
        "validées ; refuser efface leurs réponses."
    ),
    "sign_ups.pick": "Choisir",
    "sign_ups.name": "Nom",
    "sign_ups.side": "Rôle",
    "sign_ups.submitted": "Inscrite le",
    "sign_ups.side.mentee": "mentorée",
    "sign_ups.side.mentor": "marraine",
    "sign_ups.approve": "Valider la sélection",
    "sign_ups.reject": "Refuser et effacer la sélection",
    "problem.unknown_sign_up": "une inscription est mal désignée.",
    "sign_up.heading": "Inscription",
    "sign_up.title.mentee": "S'inscrire comme mentorée",
    "sign_up.title.mentor": "S'inscrire comme marraine",
    "sign_up.own_title": "Vos réponses",
    "sign_up.intro": "{programme} : parlez-nous de vous pour que nous trouvions le bon binôme.",
    "sign_up.status.pending": "L'équipe n'a pas encore relu votre inscription.",
    "sign_up.status.approved": "L'équipe a validé votre inscription.",
    "sign_up.required_note": "Les questions marquées * sont obligatoires.",
    "sign_up.problems": "Veuillez corriger ces réponses :",
    "sign_up.level": "Niveau",
    "sign_up.role.name": "Votre nom",
    "sign_up.role.email": "Votre adresse e-mail",
    "sign_up.role.language": "La langue dans laquelle vous écrire",
    "sign_up.role.capacity": "Combien de mentorées vous pouvez suivre",
    "sign_up.level_hint.mentee": (
        "Cochez chaque sujet et donnez votre niveau, de 1 (débutante) à 5 (experte)."
    ),
    "sign_up.level_hint.mentor": (
        "Cochez chaque sujet que vous pouvez enseigner et donnez votre niveau, de 1 "
        "(débutante) à 5 (experte)."
    ),
    "sign_up.availability_hint": (
        "Vos heures libres chaque semaine, à votre heure locale (laissez vide un jour "
        "où vous n'êtes pas libre)."
    ),
    "sign_up.day": "Jour",
    "sign_up.from": "De",
    "sign_up.to": "À",
    "sign_up.day.mon": "Lundi",
    "sign_up.day.tue": "Mardi",
    "sign_up.day.wed": "Mercredi",
    "sign_up.day.thu": "Jeudi",
    "sign_up.day.fri": "Vendredi",
    "sign_up.day.sat": "Samedi",
    "sign_up.day.sun": "Dimanche",
    "sign_up.retention": (
        "Le programme conserve vos réponses uniquement pour former les binômes et "
        "suivre votre mentorat, et les efface à la fin du programme ou dès que vous les "
        "retirez par votre lien personnel."
    ),
    "sign_up.consent": (
        "J'accepte que le programme conserve mes réponses pour me mettre en relation."
    ),
    "sign_up.guardian": "Un parent ou tuteur légal consent à cette inscription.",
    "sign_up.submit": "Envoyer mon inscription",
    "sign_up.save": "Enregistrer mes corrections",
    "sign_up.saved": "Vos corrections sont enregistrées.",
    "sign_up.withdraw_explained": (
        "Vous retirer efface définitivement vos réponses et tout binôme dont vous faisiez partie."
    ),
    "sign_up.withdraw": "Me retirer et effacer mes données",
    "sign_up.done": (
        "Merci : {programme} a bien reçu votre inscription. L'équipe la relira avant la "
        "mise en relation."
    ),
    "sign_up.own_link": (
        "Votre lien personnel : gardez-le pour voir, corriger ou retirer vos réponses à "
        "tout moment. Ne le partagez pas."
    ),
    "sign_up.withdrawn": "Vos données ont été effacées de {programme}.",
    "sign_up.unknown": "Ce lien est inconnu. Vérifiez que vous l'avez copié en entier.",
    "sign_up.closed": (
        "Ce lien d'inscription a été fermé ou a expiré. Demandez-en un nouveau au programme."
    ),
    "sign_up.throttled": (
        "Trop de tentatives depuis cet appareil. Patientez un moment, puis réessayez."
    ),
    "followup.title": "Après la publication",
    "followup.messages": "Messages : {sent} envoyés, {failed} en échec, {waiting} en attente.",
    "followup.issued": "Liens de suivi envoyés",
    "followup.answered": "Réponses",
    "followup.rate": "Taux de réponse",
    "followup.mean": "Note moyenne",
    "followup.by_group": "Note moyenne par {column}",
    "followup.at_risk": "Binômes en difficulté",
    "followup.none_at_risk": "Aucun binôme en difficulté parmi les réponses.",
    "followup.no_checkins": "Aucun lien de suivi n'a encore été envoyé.",
    "followup.outcome.good": "se passe bien",
    "followup.outcome.poor": "se passe mal",
    "followup.outcome.ended_early": "arrêté avant terme",
    "problem.ranks_not_found": "ces classements ne sont pas enregistrés.",
    "problem.last_admin_key": (
        "c'est la dernière clé d'administration : créez d'abord une autre clé d'administration."
    ),
}

EN: dict[str, str] = _EN_PAGE | WAVES_EN
FR: dict[str, str] = _FR_PAGE | WAVES_FR
CATALOGUES: dict[Lang, dict[str, str]] = {"en": EN, "fr": FR, "ar": AR | WAVES_AR}


def translator(lang: Lang) -> Translator:
    """``t(key, **values)``: the message in ``lang`` (English, then the key, as fallbacks)."""
    catalogue = CATALOGUES[lang]

    def t(key: str, /, **values: object) -> str:
        text = catalogue.get(key) or EN.get(key) or key
        return text.format(**values) if values else text

    return t


def question_title(role: str | None, title: Label, lang: Lang) -> str:
    """How a sign-up form names a question: a role's own words (name, e-mail, language,
    capacity), else the title the configuration gives it."""
    return translator(lang)(f"sign_up.role.{role}") if role else label_text(title, lang)


def retention_notice(notice: Label | None, lang: Lang) -> str:
    """A programme's retention notice (``[sign_up] retention_notice``) in ``lang``, else
    the catalogue's default text."""
    return label_text(notice, lang) if notice else translator(lang)("sign_up.retention")


def _parse_accept_language(header: str) -> list[tuple[float, str]]:
    ranked = []
    for part in header.split(","):
        tag, _, params = part.strip().partition(";")
        quality = 1.0
        if params.strip().startswith("q="):
            try:
                quality = float(params.strip()[2:])
            except ValueError:
                quality = 0.0
        if tag:
            ranked.append((quality, tag.strip().lower()))
    return sorted(ranked, key=lambda item: -item[0])


def choose_language(cookie: str | None, accept_language: str | None) -> Lang:
    """The cookie's language when valid, else the best match of ``Accept-Language``,
    else English."""
    for lang in LANGUAGES:
        if cookie == lang:
            return lang
    for quality, tag in _parse_accept_language(accept_language or ""):
        if quality <= 0:
            continue
        primary = tag.split("-")[0]
        for lang in LANGUAGES:
            if primary == lang:
                return lang
    return "en"
