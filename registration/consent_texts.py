"""The published consent texts, seeded by data migrations (version 1, then version 2).

Later versions are published in the admin; a consent record always points at the exact text shown
and keeps the body as rendered for the customer. A body may name `{retention_hours}`: it is replaced
with the effective policy's evidence retention when the text is shown (`selectors.consent_text_body`).
"""

RETENTION_PLACEHOLDER = "{retention_hours}"

CONSENT_V1 = {
    ("face_processing", "zh-hans"): (
        "人脸信息处理单独同意书",
        "为落实电话用户真实身份信息登记（实名制）要求，我们将在本次办理中处理您的人脸信息：\n"
        "1. 处理内容：摄像头实时画面中的面部动作（眨眼、转头）用于活体检测，以及一张现场人脸照片与您本人证件照片的一对一比对。\n"
        "2. 目的：仅用于确认办理人与证件持有人为同一人，不用于其他任何目的，不与他人人脸进行检索比对，不分析年龄、性别或情绪。\n"
        "3. 保存：不保存视频；证件照片和一张现场照片加密保存，业务办结后72小时内删除。\n"
        "4. 您有权拒绝：拒绝不影响办理，您可以选择由主管人工核验证件的替代方式。",
    ),
    ("face_processing", "en"): (
        "Separate consent to face processing",
        "To register your number under real-name rules, we will process your face in this visit:\n"
        "1. What: the live camera picture of your face moving (blinks, head turns) to check you are present, "
        "and one live photo compared one-to-one with the photo on your own ID document.\n"
        "2. Why: only to confirm that you are the holder of the document. Your face is never searched against "
        "other people, and no age, gender or emotion analysis is done.\n"
        "3. How long: no video is kept; the document photo and one live photo are stored encrypted and deleted "
        "within 72 hours after the decision.\n"
        "4. Your right to refuse: you may refuse and ask for a supervisor to check your document by hand instead.",
    ),
    ("guardian", "zh-hans"): (
        "监护人同意书",
        "办理人未满十四周岁。作为其监护人，我同意按上述说明处理其人脸信息，并提供本人姓名和证件。",
    ),
    ("guardian", "en"): (
        "Guardian's consent",
        "The customer is under 14. As their guardian I consent to the processing of their face as described "
        "above, and give my own name and ID document.",
    ),
}


def _v2(body: str) -> str:
    """Version 2 names the configured retention instead of a fixed 72 hours."""
    return body.replace("72", RETENTION_PLACEHOLDER)


CONSENT_V2 = {
    key: (title, _v2(body) if key[0] == "face_processing" else body) for key, (title, body) in CONSENT_V1.items()
}


# Version 3 (PIPL arts. 17 and 30, the 2025 face-recognition Measures art. 6): who handles the data and
# how to reach them, why it is necessary and its effect, what is stored and for how long (the trace and
# the screen-light step included), who may see the photos, how to withdraw and exercise one's rights.
# Every `{name}` is rendered from the effective policy and the settings when shown (`consent_values`).
CONTROLLER_PLACEHOLDER = "{controller}"
CONTACT_PLACEHOLDER = "{contact}"
REVIEW_DAYS_PLACEHOLDER = "{review_close_days}"
IDENTITY_YEARS_PLACEHOLDER = "{identity_keep_years}"
LIGHT_PLACEHOLDER = "{light_step}"

CONSENT_V3_FACE = {
    "zh-hans": (
        "人脸信息处理单独同意书",
        "个人信息处理者：{controller}（联系方式：{contact}）。\n"
        "1. 目的与必要性：依照电话用户真实身份信息登记（实名制）要求，办理入网前须核验办理人即为证件持有人。"
        "我们将您的一张现场人脸照片与您本人证件上的照片进行一对一比对，仅用于这一目的；不与他人人脸检索比对，"
        "不分析年龄、性别或情绪，不用于其他任何目的。\n"
        "2. 处理内容：摄像头实时画面中的面部动作（眨眼、转头）用于活体检测，不录制、不保存视频。{light_step}\n"
        "3. 保存的内容与期限：证件照片、一张现场照片，以及活体检测记录（每帧的时间、画面质量、眨眼程度和头部角度；"
        "面部特征点和面部比例在活体判定后即删除），均加密保存，在本次业务办结后{retention_hours}小时内删除。"
        "比对用的其他几张现场画面在比对完成后立即删除。转人工审核的业务最长等待{review_close_days}天，到期未处理即关闭并按上述期限删除。\n"
        "4. 查看：主管可在人工审核时查看证件照片和现场照片，每次查看均记录在审计日志中。\n"
        "5. 对您的影响与替代方式：您有权拒绝，拒绝不影响办理，您可以选择由主管当面人工核验证件。\n"
        "6. 撤回与权利：在核验完成前您可随时告知工作人员撤回同意，业务将改为人工核验。您可通过任一营业厅或上述联系方式"
        "查阅、复制、更正或删除您的个人信息。实名登记要求保留的身份信息（姓名、证件号码、电话号码）在号码使用期间及"
        "停止服务后{identity_keep_years}年内保存，期满删除。",
    ),
    "en": (
        "Separate consent to face processing",
        "Who handles your data: {controller} (contact: {contact}).\n"
        "1. Why it is necessary: the real-name registration rules require us to check that the person registering "
        "is the holder of the ID document. We compare one live photo of you one-to-one with the photo on your own "
        "document, for this purpose only. Your face is never searched against other people, no age, gender or "
        "emotion analysis is done, and nothing is used for any other purpose.\n"
        "2. What we process: the live camera picture of your face moving (blinks, head turns) to check you are "
        "present; no video is recorded or kept.{light_step}\n"
        "3. What we keep and for how long: the document photo, one live photo and the record of the live check "
        "(for each frame its time, picture quality, how open your eyes were and the angle of your head; the "
        "positions of facial landmarks and the proportions of your face are deleted as soon as the live check is "
        "judged), all stored encrypted and deleted within {retention_hours} hours after the transaction ends. The "
        "other live frames used for the comparison are deleted as soon as it is done. A case sent to manual review "
        "waits at most {review_close_days} days; then it is closed and deleted on the same schedule.\n"
        "4. Who may see it: a supervisor may view the document photo and the live photo to decide a case in manual "
        "review; every view is recorded in the audit log.\n"
        "5. The effect on you, and the alternative: you may refuse. Refusing does not stop the registration: a "
        "supervisor can check your document by hand instead.\n"
        "6. Withdrawing and your rights: until the check is complete you may withdraw your consent by telling the "
        "clerk; a supervisor then checks your document by hand. You may see, copy, correct or delete your personal "
        "information at any outlet or through the contact above. The identity the real-name rules require us to "
        "keep (your name, document number and phone number) is kept while the number is in service and for "
        "{identity_keep_years} years after its service ends, then deleted.",
    ),
}
LIGHT_STEP_SENTENCE = {
    "zh-hans": "检测中屏幕会依次显示几种颜色，系统测量您面部反射的颜色变化，仅用于活体判断，随上述记录一并删除；"
    "您也可以选择不使用屏幕光，改为多做几个动作。",
    "en": " During the check the screen shows a few colours and the system measures how the light they cast on "
    "your face changes, for the live check only, deleted with the record above; you may ask to do a few more "
    "movements instead.",
}
CONTROLLER_FALLBACK = {"zh-hans": "本营业厅所属的电信业务经营者", "en": "the telecom operator this outlet belongs to"}
CONTACT_FALLBACK = {"zh-hans": "请向营业厅工作人员索取", "en": "ask the staff at this outlet"}

CONSENT_V3 = {
    **{("face_processing", language): text for language, text in CONSENT_V3_FACE.items()},
    ("guardian", "zh-hans"): CONSENT_V1[("guardian", "zh-hans")],
    ("guardian", "en"): CONSENT_V1[("guardian", "en")],
}
