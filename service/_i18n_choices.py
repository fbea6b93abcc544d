"""The page catalogue's words for waves and mentees' choices, in English, French and
Arabic (merged into :data:`service.i18n.CATALOGUES`; same keys in all three)."""

from __future__ import annotations

__all__ = ["AR", "EN", "FR"]

EN: dict[str, str] = {
    "wave.carried_bonus": "carried over from the wave before: her pairs count {bonus} more",
    "wave.carried_first": "carried over from the wave before: matched first",
    "problem.wave_open": "close the open wave before opening the next one.",
    "problem.wave_closed": "this wave is closed.",
    "problem.wave_not_found": "this wave does not exist.",
    "problem.wave_not_published": "this wave has no published run yet.",
    "problem.choices_off": "this programme does not offer choices (wave settings).",
    "problem.choices_exist": "this run's lists were already sent.",
    "problem.choices_not_found": "this run has no choices.",
    "problem.choices_open": "mentees may still answer until the deadline.",
    "problem.choices_done": "the final run of these choices was already made.",
    "problem.deadline_past": "the deadline must be in the future.",
    "problem.not_on_list": "choose only people of the list, each once.",
    "problem.wrong_side": "this answer is not for this link.",
    "choices.title": "Your choices",
    "choices.intro.mentee": (
        "{programme}: here is the mentor suggested to you and other mentors who have a "
        "place. Give each one you would like a rank (1 = your first choice)."
    ),
    "choices.intro.mentor": (
        "{programme}: these mentees may be matched with you. Decline anyone you cannot "
        "mentor; the others are accepted."
    ),
    "choices.suggested": "suggested to you",
    "choices.spare": "has a place",
    "choices.rank": "Rank for {name}",
    "choices.not_wanted": "not wanted",
    "choices.accept": "Accept",
    "choices.decline": "Decline",
    "choices.submit": "Send my choices",
    "choices.thanks": "Thank you, your choices are saved. You may change them until the deadline.",
    "choices.answered_before": "You answered already; sending again replaces your answer.",
    "choices.deadline": ("Answer by {when}. Without an answer, the suggestion is kept."),
    "choices.unknown": "This link is unknown. Check that you copied all of it.",
    "choices.closed": "This link no longer works: its deadline has passed or it was withdrawn.",
    "choices.throttled": "Too many wrong links from here. Wait a minute, then try again.",
    "choices.invalid": "Give at least one mentor a rank, and each rank once.",
    "choices.empty": "There is nobody on this list.",
}

FR: dict[str, str] = {
    "wave.carried_bonus": (
        "reportée de la vague précédente : ses binômes comptent {bonus} de plus"
    ),
    "wave.carried_first": "reportée de la vague précédente : appariée en priorité",
    "problem.wave_open": "clôturez la vague ouverte avant d'ouvrir la suivante.",
    "problem.wave_closed": "cette vague est clôturée.",
    "problem.wave_not_found": "cette vague n'existe pas.",
    "problem.wave_not_published": "aucun appariement de cette vague n'est encore publié.",
    "problem.choices_off": "ce programme ne propose pas de choix (réglages des vagues).",
    "problem.choices_exist": "les listes de cet appariement ont déjà été envoyées.",
    "problem.choices_not_found": "cet appariement n'a pas de choix.",
    "problem.choices_open": "les mentorées peuvent encore répondre jusqu'à la date limite.",
    "problem.choices_done": "l'appariement final de ces choix a déjà été lancé.",
    "problem.deadline_past": "la date limite doit être dans le futur.",
    "problem.not_on_list": "choisissez seulement des personnes de la liste, chacune une fois.",
    "problem.wrong_side": "cette réponse ne correspond pas à ce lien.",
    "choices.title": "Vos choix",
    "choices.intro.mentee": (
        "{programme} : voici la marraine qui vous est proposée et d'autres qui ont une "
        "place. Donnez un rang à chacune qui vous intéresse (1 = votre premier choix)."
    ),
    "choices.intro.mentor": (
        "{programme} : ces mentorées pourraient vous être confiées. Refusez celles que "
        "vous ne pouvez pas accompagner ; les autres sont acceptées."
    ),
    "choices.suggested": "proposée pour vous",
    "choices.spare": "a une place",
    "choices.rank": "Rang pour {name}",
    "choices.not_wanted": "pas intéressée",
    "choices.accept": "Accepter",
    "choices.decline": "Refuser",
    "choices.submit": "Envoyer mes choix",
    "choices.thanks": (
        "Merci, vos choix sont enregistrés. Vous pouvez les modifier jusqu'à la date limite."
    ),
    "choices.answered_before": ("Vous avez déjà répondu ; un nouvel envoi remplace votre réponse."),
    "choices.deadline": ("Répondez avant le {when}. Sans réponse, la proposition est conservée."),
    "choices.unknown": "Ce lien est inconnu. Vérifiez que vous l'avez copié en entier.",
    "choices.closed": (
        "Ce lien ne fonctionne plus : la date limite est passée ou il a été retiré."
    ),
    "choices.throttled": "Trop de liens erronés depuis cette adresse. Attendez une minute.",
    "choices.invalid": "Donnez un rang à au moins une personne, chaque rang une seule fois.",
    "choices.empty": "Il n'y a personne sur cette liste.",
}

AR: dict[str, str] = {
    "wave.carried_bonus": "منقولة من الدفعة السابقة: تُحتسب ثنائياتها بزيادة {bonus}",
    "wave.carried_first": "منقولة من الدفعة السابقة: تُربط أولاً",
    "problem.wave_open": "أغلق الدفعة المفتوحة قبل فتح الدفعة التالية.",
    "problem.wave_closed": "هذه الدفعة مغلقة.",
    "problem.wave_not_found": "هذه الدفعة غير موجودة.",
    "problem.wave_not_published": "لم تُنشر أي مطابقة لهذه الدفعة بعد.",
    "problem.choices_off": "هذا البرنامج لا يعرض الاختيارات (إعدادات الدفعات).",
    "problem.choices_exist": "أُرسلت قوائم هذه المطابقة من قبل.",
    "problem.choices_not_found": "لا توجد اختيارات لهذه المطابقة.",
    "problem.choices_open": "ما زال بإمكان المستفيدات الرد حتى الموعد النهائي.",
    "problem.choices_done": "أُطلقت المطابقة النهائية لهذه الاختيارات من قبل.",
    "problem.deadline_past": "يجب أن يكون الموعد النهائي في المستقبل.",
    "problem.not_on_list": "اختر أشخاصاً من القائمة فقط، كل واحد مرة واحدة.",
    "problem.wrong_side": "هذا الرد لا يخص هذا الرابط.",
    "choices.title": "اختياراتك",
    "choices.intro.mentee": (
        "{programme}: هذه المرشدة المقترحة لك ومرشدات أخريات لديهن مكان. "
        "أعطي رتبة لكل من تهمك (1 = اختيارك الأول)."
    ),
    "choices.intro.mentor": (
        "{programme}: قد تُسند إليك هؤلاء المستفيدات. ارفضي من لا يمكنك إرشادها؛ الأخريات مقبولات."
    ),
    "choices.suggested": "مقترحة لك",
    "choices.spare": "لديها مكان",
    "choices.rank": "رتبة {name}",
    "choices.not_wanted": "لا أرغب",
    "choices.accept": "قبول",
    "choices.decline": "رفض",
    "choices.submit": "إرسال اختياراتي",
    "choices.thanks": "شكراً، حُفظت اختياراتك. يمكنك تعديلها حتى الموعد النهائي.",
    "choices.answered_before": "لقد أجبت من قبل؛ الإرسال من جديد يحل محل إجابتك.",
    "choices.deadline": "أجيبي قبل {when}. دون إجابة، يبقى الاقتراح كما هو.",
    "choices.unknown": "هذا الرابط غير معروف. تحقق من نسخه كاملاً.",
    "choices.closed": "هذا الرابط لم يعد يعمل: فات الموعد النهائي أو سُحب.",
    "choices.throttled": "روابط خاطئة كثيرة من هنا. انتظر دقيقة ثم حاول من جديد.",
    "choices.invalid": "أعطي رتبة لشخص واحد على الأقل، وكل رتبة مرة واحدة.",
    "choices.empty": "لا أحد في هذه القائمة.",
}
