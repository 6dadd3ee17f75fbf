"""The Chinese names and descriptions of the system voices, as Alibaba lists them.

Pure data. Source: the voice list of the CosyVoice documentation
(https://help.aliyun.com/zh/model-studio/cosyvoice-voice-list, 2026; its "名称" and
"特质" columns), read from a transcription of the page; v1 voices, which that page
lists without a description, take theirs from ``dashscope-protocol.md`` §6.1.

Keys are voice ids without their version suffix (``longanyang``, ``longhuhu`` for
``longhuhu_v3``); :data:`ZH_BY_ID` holds the few variants the list names or describes
otherwise. A voice missing here (Qwen-Audio's examples) has no documented Chinese
name: it keeps its romanised one.
"""

from __future__ import annotations

from typing import Final

ZH_BY_BASE: Final[dict[str, tuple[str, str]]] = {
    # v1 (dashscope-protocol.md §6.1) and their later namesakes
    "longwan": ("龙婉", "细腻柔声女"),
    "longcheng": ("龙橙", "智慧青年男"),
    "longhua": ("龙华", "元气甜美女"),
    "longxiaochun": ("龙小淳", "知性积极女"),
    "longxiaoxia": ("龙小夏", "沉稳权威女"),
    "longxiaocheng": ("龙小诚", "磁性低音男"),
    "longxiaobai": ("龙小白", "沉稳播报女"),
    "longlaotie": ("龙老铁", "东北直率男"),
    "longshu": ("龙书", "沉稳青年男"),
    "longshuo": ("龙硕", "博才干练男"),
    "longjing": ("龙婧", "典型播音女"),
    "longmiao": ("龙妙", "抑扬顿挫女"),
    "longyue": ("龙悦", "温暖磁性女"),
    "longyuan": ("龙媛", "温暖治愈女"),
    "longfei": ("龙飞", "热血磁性男"),
    "longjielidou": ("龙杰力豆", "阳光顽皮男"),
    "longtong": ("龙彤", "元气活泼女"),
    "longxiang": ("龙祥", "沉稳男声"),
    "loongstella": ("Stella", "飒爽利落女"),
    "loongbella": ("Bella", "精准干练女"),
    # Children
    "longhuhu": ("龙呼呼", "天真烂漫女童"),
    "longling": ("龙铃", "稚气呆板女"),
    "longke": ("龙可", "懵懂乖乖女"),
    "longxian": ("龙仙", "豪放可爱女"),
    "longpaopao": ("龙泡泡", "飞天泡泡音"),
    "longshanshan": ("龙闪闪", "戏剧化童声"),
    "longniuniu": ("龙牛牛", "阳光男童声"),
    "longwangwang": ("龙汪汪", "台湾少年音"),
    # Social companion
    "longanyang": ("龙安洋", "阳光大男孩"),
    "longanhuan": ("龙安欢", "欢脱元气女"),
    "longanqin": ("龙安亲", "亲和活泼女"),
    "longanya": ("龙安雅", "高雅气质女"),
    "longanshuo": ("龙安朔", "干净清爽男"),
    "longanling": ("龙安灵", "思维灵动女"),
    "longanzhi": ("龙安智", "睿智轻熟男"),
    "longanrou": ("龙安柔", "温柔闺蜜女"),
    "longantai": ("龙安台", "嗲甜台湾女"),
    "longqiang": ("龙嫱", "浪漫风情女"),
    "longhan": ("龙寒", "温暖痴情男"),
    "longxing": ("龙星", "温婉邻家女"),
    "longfeifei": ("龙菲菲", "甜美娇气女"),
    "longzhe": ("龙哲", "呆板大暖男"),
    "longyan": ("龙颜", "温暖春风女"),
    "longtian": ("龙天", "磁性理智男"),
    "longze": ("龙泽", "温暖元气男"),
    "longshao": ("龙邵", "积极向上男"),
    "longhao": ("龙浩", "多情忧郁男"),
    "kabuleshen": ("龙深", "实力歌手男"),
    # Audiobook
    "longyichen": ("龙逸尘", "洒脱活力男"),
    "longwanjun": ("龙婉君", "细腻柔声女"),
    "longlaobo": ("龙老伯", "沧桑岁月爷"),
    "longlaoyi": ("龙老姨", "烟火从容阿姨"),
    "longbaizhi": ("龙白芷", "睿气旁白女"),
    "longsanshu": ("龙三叔", "沉稳质感男"),
    "longxiu": ("龙修", "博才说书男"),
    "longnan": ("龙楠", "睿智青年男"),
    # Assistant
    "longanli": ("龙安莉", "利落从容女"),
    "longanlang": ("龙安朗", "清爽利落男"),
    "longanwen": ("龙安温", "优雅知性女"),
    "longanyun": ("龙安昀", "居家暖男"),
    "longyumi": ("YUMI", "正经青年女"),
    # Customer service, telesales
    "longyingmu": ("龙应沐", "优雅知性女"),
    "longyingxun": ("龙应询", "年轻青涩男"),
    "longyingcui": ("龙应催", "严肃催收男"),
    "longyingda": ("龙应答", "开朗高音女"),
    "longyingjing": ("龙应静", "低调冷静女"),
    "longyingyan": ("龙应严", "义正严辞女"),
    "longyingtian": ("龙应甜", "温柔甜美女"),
    "longyingbing": ("龙应冰", "尖锐强势女"),
    "longyingtao": ("龙应桃", "温柔淡定女"),
    "longyingling": ("龙应聆", "温和共情女"),
    "longyingxiao": ("龙应笑", "清甜推销女"),
    # Live commerce
    "longanran": ("龙安燃", "活泼质感女"),
    "longanxuan": ("龙安宣", "经典直播女"),
    "longanchong": ("龙安冲", "激情推销男"),
    "longanping": ("龙安萍", "高亢直播女"),
    # Short video, dialects
    "longjiqi": ("龙机器", "呆萌机器人"),
    "longhouge": ("龙猴哥", "经典猴哥"),
    "longjixin": ("龙机心", "毒舌心机女"),
    "longdaiyu": ("龙黛玉", "娇率才女音"),
    "longgaoseng": ("龙高僧", "得道高僧音"),
    "longanyue": ("龙安粤", "欢脱粤语男"),
    "longshange": ("龙陕哥", "原味陕北男"),
    "longanmin": ("龙安敏", "甜美闽南女"),
    "longjiaxin": ("龙嘉欣", "优雅粤语女"),
    "longjiayi": ("龙嘉怡", "知性粤语女"),
    # Education, poetry
    "longanpei": ("龙安培", "青少年教师女"),
    "libai": ("李白", "古代诗仙男"),
    "longjin": ("龙津", "优雅温润男"),
    # Overseas: the list gives Latin names
    "loongyuuna": ("Yuuna", "元气霓虹女"),
    "loongyuuma": ("Yuuma", "干练霓虹男"),
    "loongjihun": ("Jihun", "阳光韩国男"),
    "loongriko": ("Riko", "二次元霓虹女"),
    "loongkyong": ("Kyong", "韩语女"),
    "loongtomoka": ("Tomoka", "日语女"),
    "loongtomoya": ("Tomoya", "日语男"),
    "loongeva": ("Eva", "知性英文女"),
    "loongbrian": ("Brian", "沉稳英文男"),
    "loongluna": ("Luna", "英式英文女"),
    "loongluca": ("Luca", "英式英文男"),
    "loongemily": ("Emily", "英式英文女"),
    "loongeric": ("Eric", "英式英文男"),
    "loongabby": ("Abby", "美式英文女"),
    "loongannie": ("Annie", "美式英文女"),
    "loongandy": ("Andy", "美式英文男"),
    "loongava": ("Ava", "美式英文女"),
    "loongbeth": ("Beth", "美式英文女"),
    "loongbetty": ("Betty", "美式英文女"),
    "loongcindy": ("Cindy", "美式英文女"),
    "loongcally": ("Cally", "美式英文女"),
    "loongdavid": ("David", "美式英文男"),
    "loongdonna": ("Donna", "美式英文女"),
}
"""Chinese name and description (特质) of each voice, by id without version."""

ZH_BY_ID: Final[dict[str, tuple[str, str]]] = {
    "longwan_v2": ("龙婉", "积极知性女"),
    "longanmin_v3": ("龙安闽", "清纯萝莉女"),
    "loongyuuna_v3": ("Yuuna", "日语女"),
    "loongyuuma_v3": ("Yuuma", "日语男"),
    "loongjihun_v3": ("Jihun", "韩语男"),
}
"""Variants the list names or describes otherwise than their namesakes."""

GENDER_ZH: Final[dict[str, str]] = {"female": "女声", "male": "男声", "child": "童声"}
"""The description of a voice the list does not describe."""
