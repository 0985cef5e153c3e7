"""Generated people for the bench and the false-hit test: names drawn from name-part
inventories of several cultures (written here, nothing downloaded), and the variants
another document prints for the same person, by family.

The inventories hold one spelling per name (MOHAMMED, not also MOHAMED): a spelling variant
is made only by `variant`, so two generated people with different parts are different
names. Names are drawn with a Zipf-like skew (a few names are very common, as in life);
surnames are built the way each culture builds them (Russian roots and endings, Arabic
nisbas and ABU/BIN, Amharic GEBRE-/WOLDE- compounds, Chinese two-syllable given names,
Nordic -SSON, Spanish double surnames ...), which gives tens of thousands of surnames.
"""

from __future__ import annotations

import datetime as dt
import random

from alerts.match import birth_adjustment
from alerts.names import Name


def _w(text: str) -> list[str]:
    return text.split()


ARABIC_GIVEN = _w(
    "MOHAMMED AHMED ALI OMAR YOUSSEF KHALED HASSAN HUSSEIN IBRAHIM MAHMOUD MUSTAFA ABDULLAH "
    "ABDULRAHMAN ABDELAZIZ SAEED SALEH KARIM JAMAL TARIQ ZIAD WALID NASSER FAISAL HAMZA BILAL "
    "ADNAN RAMI SAMI FARID MAJID RASHID SULTAN ISMAIL YASSER MAHER NABIL RAED FADI HADI "
    "JALAL KAMAL MANSOUR MARWAN MOUNIR NIZAR OSSAMA QASIM RIYAD SABER TAHER WAEL YAHYA "
    "ZAKARIA ANAS AYMAN BASSAM GHASSAN HAITHAM IMAD KHALIL LUTFI MOATAZ MUNIR NAJIB OUSSAMA "
    "RAFIQ SAMIR TAMER USAMA WISSAM YAZAN ZUHAIR AMMAR ASSAD BASEL DIAA EMAD FOUAD HAMED "
    "HISHAM IYAD JIHAD MAZEN MUHANNAD NADER NOUR QAIS RABIH SHADI SUHAIL TALAL YOUNES "
    "FATIMA AISHA MARIAM ZAINAB KHADIJA LAYLA HANAN AMAL SALMA RANIA HIBA DINA YASMIN "
    "SAMIRA NADIA LAMIA SUAD HUDA REEM LINA RUBA SAWSAN WAFAA ZAHRA AMIRA BUSHRA DUAA "
    "GHADA HALA IMAN JUMANA MANAL NAWAL RASHA SANAA THURAYA WIDAD"
)
ARABIC_FAMILY = _w(
    "HASHIM SAYED ZAHRANI QAHTANI SHAMMARI OTAIBI HARBI DOSARI MANSOURI HASHIMI BAGHDADI "
    "MASRI TAMIMI SHEIKH NAJJAR HADDAD KHOURY SABBAGH ATTAR HALABI SHAMI JABER NASSAR HAMDAN "
    "OBEID SALEM AMIN AZIZ FARAJ NOURI SAADI JANABI OBAIDI DULAIMI JUBOURI TIKRITI KUBAISI "
    "RAWI HAKIM MAHDI ASMAR BARGHOUTI DAJANI HUSSEINI KHATIB MADANI NABULSI QUDSI SHAWA "
    "TAHA ZUBI ABBADI AJLOUNI BATAINEH FAYEZ GHANEM HIJAZI JARRAR KHALAF MAJALI NIMER "
    "QASEM RIFAI SARRAF TARAWNEH UBAID WAKED ZOUBI ANSARI BAKRI DARWISH FARHAT GHAZAL "
    "HAMAD JAMMAL KANAAN LAHHAM MAKKI NASR QADRI RAHAL SAAB TAWIL YASSIN ZEIN BITAR "
    "CHAMOUN DAHER FAKHOURY GEMAYEL HELOU KARAM MOUAWAD NAHAS SFEIR TANNOUS"
)
ARABIC_PLACES = _w(
    "BAGHDAD BASRA MOSUL HALAB DIMASHQ HOMS HAMA IDLIB JAFFA NABLUS KHALIL GHAZA QUDS "
    "BEIRUT TRIPOLI SAIDA SOUR ZARQA IRBID AQABA TAIF MAKKA MADINA JIZAN NAJRAN QASIM "
    "HASSA SHARQA FUJAIRA AJMAN DUBAI MASQAT SALALA SANAA TAIZ HODEIDA ADEN MARIB "
    "TUNIS SFAX SOUSSE FAS RABAT MARRAKESH WAHRAN TLEMCEN QUSANTINA"
)
RUSSIAN_GIVEN_M = _w(
    "ALEKSANDR SERGEY DMITRY ANDREY ALEKSEY IVAN MAKSIM NIKOLAY MIKHAIL YEVGENY VLADIMIR "
    "PAVEL ROMAN OLEG IGOR YURI VIKTOR ANATOLY BORIS GRIGORY ARTEM DENIS KIRILL ILYA "
    "KONSTANTIN LEONID MATVEY NIKITA STANISLAV TIMUR VADIM VALERY VASILY VITALY VYACHESLAV "
    "YAROSLAV GENNADY GLEB EGOR FEDOR STEPAN SEMEN TIMOFEY ARSENY BOGDAN TARAS"
)
RUSSIAN_GIVEN_F = _w(
    "ANNA OLGA NATALYA ELENA TATYANA IRINA SVETLANA YULIA EKATERINA MARINA LYUDMILA OKSANA "
    "ANASTASIYA DARYA KSENIYA POLINA VALENTINA VERA GALINA ZOYA LARISA NADEZHDA SOFIYA "
    "ALINA VIKTORIYA YANA ALLA INNA KRISTINA LIDIYA NINA RAISA TAMARA ULYANA VARVARA"
)
RUSSIAN_ROOTS = _w(
    "SMIRN IVAN KUZNETS POP VASILI PETR SOKOL MIKHAIL NOVIK FEDOR MOROZ VOLK ALEKSE LEBED "
    "SEMEN EGOR PAVL KOZL STEPAN NIKOLA ORL ANDRE MAKAR ZAKHAR ZAITS SOLOVY BORIS YAKOVL "
    "GRIGORI ROMAN VOROBY SERGE KUZMIN FROL DMITRI KOROL GUS KISEL ILYIN MAKSIM POLYAK "
    "SOROK VINOGRAD KOVAL SHEVCH BONDAR TKACH KRAVCH BELOUS GORBACH DANIL ERMOL ZHUK "
    "KARPOV KOMAR LAZAR MEDVED NAZAR OSIP PANKRAT RYB SAVCH TARAS ULYAN FILIPP KHARIT "
    "TSVETK CHERN SHAPOVAL SHCHERB YUDIN BARAN BYK VERESHCHAG GOLUB DROZD ZHDAN ZUB "
    "KALIN KLIM KRYLOV LAPT MARTYN MELNIK OREKH PESTOV REP SIDOR TRET FOMIN KHOKHL "
    "CHUMAK SHEST SHUMIL GRACH DYATL KOTL LOGIN"
)
RUSSIAN_ENDINGS = ("OV", "EV", "IN", "SKY", "ENKO", "UK", "CHUK", "ICH", "OVSKY")
CHINESE_SURNAMES = _w(
    "WANG LI ZHANG LIU CHEN YANG HUANG ZHAO WU ZHOU XU SUN MA ZHU HU GUO HE LIN GAO LUO "
    "ZHENG LIANG XIE SONG TANG HAN FENG DENG CAO PENG ZENG XIAO TIAN DONG PAN YUAN CAI "
    "JIANG YU DU YE CHENG WEI SU LU DING REN SHEN YAO LV JIA FU FANG BAI ZOU MENG XIONG "
    "QIN QIU JIN HOU JIANG SHI DAI CUI TAN LIAO FAN WANG LU YIN LONG DUAN LEI HAO KONG "
    "SHAO MAO WAN GU LAI WU KANG HE YAN YIN QIAN NIU HONG GONG"
)
CHINESE_SYLLABLES = _w(
    "WEI FANG JING LEI YAN JIE MIN HUI QIANG XIN MING HUA JUN YONG NA TAO PING GANG HONG "
    "YUN XIU YING ZHI BO CHAO LONG PENG FEI XIA XUE MEI LAN JIAN GUO HAO YU ZE RUI TING "
    "XUAN YI HAN SHU KAI WEN DONG BIN CHENG DE FENG GUANG HAI HENG JIA JUAN KUN LIANG LIN "
    "NING QING QUAN RONG SHAN SHENG SONG TIAN WU XIANG XIAO YANG YAO YE YUAN ZHEN ZHONG "
    "ZI AN BAO CHUN DAN FU GE HE JIN KANG LE LU MAN NAN PEI QI RU SI TONG XI YUE ZHAO"
)
AMHARIC_NAMES = _w(
    "TESFAYE GIRMA HAILE KEBEDE ALEMU BEKELE MENGISTU ABEBE GETACHEW TADESSE MULUGETA "
    "YOHANNES DAWIT BIRUK SOLOMON TEWODROS ASFAW DEREJE WONDIMU ASSEFA AYANA FIKRE MEKONNEN "
    "NEGASH WORKU TEFERI BERHANU DEMISSIE GEBRU TILAHUN ABATE ADANE AKLILU AMARE ANDUALEM "
    "ASHENAFI BEYENE BIRHANU DAGNE DESTA ENDALE ESHETU FEKADU GASHAW HABTAMU KASSA LEMMA "
    "MESFIN MOGES NIGUSSIE SHIFERAW SISAY TAYE TEMESGEN WUBSHET YARED ZELALEM ZERIHUN "
    "TIGIST SELAM HANNA MERON BETELHEM HIRUT MESERET ALMAZ TSEHAY ZENEBECH AZEB BIRTUKAN "
    "EYERUSALEM FANAYE GENET HELEN KIDIST LIYA MAHLET NARDOS RAHEL SABA TSION WUBET YESHI"
)
AMHARIC_PREFIX = _w("GEBRE WOLDE HAILE TEKLE KIDANE BERHANE ZERE AMDE HABTE")
AMHARIC_SUFFIX = _w("MEDHIN MARIAM SELASSIE MICHAEL GIORGIS IYESUS KIDAN TSADIK EGZIABHER AB")
EUROPEAN_GIVEN = _w(
    "JOHN MARY JOSE MARIA ANNA LUCAS SOPHIE JUAN CARLOS PEDRO PAUL PETER MARTIN THOMAS "
    "ANDREAS STEFAN LUCA MARCO GIULIA CHIARA PIERRE JEAN CLAIRE CAMILLE LAURA DANIEL DAVID "
    "MICHAEL ERIK LARS INGRID ASTRID JOAO ANA PAULO JAMES ROBERT WILLIAM RICHARD CHARLES "
    "GEORGE EDWARD HENRY OLIVER JACK HARRY EMMA OLIVIA EMILY CHARLOTTE AMELIA ISABELLA "
    "LUKAS JONAS FELIX MAXIMILIAN FRIEDRICH KLAUS WOLFGANG JURGEN HANNAH LENA MONIKA "
    "URSULA FRANCOIS NICOLAS ANTOINE JULIEN MATHIEU AURELIE NATHALIE ISABELLE VALERIE "
    "ALEJANDRO DIEGO JAVIER MIGUEL RAFAEL SERGIO LUCIA CARMEN DOLORES PILAR ROSA "
    "GIUSEPPE GIOVANNI FRANCESCO ANTONIO ALESSANDRO LORENZO MATTEO FRANCESCA ELISA "
    "PIOTR KRZYSZTOF TOMASZ MAREK AGNIESZKA MALGORZATA KATARZYNA BJORN NILS SVEN OLOF "
    "KARIN SIGRID HELGA PIETER JOOST DIRK SANNE FLORIN MIHAI ANDREEA"
)
EUROPEAN_SURNAMES = _w(
    "SMITH JONES WILLIAMS BROWN TAYLOR DAVIES WILSON EVANS THOMAS ROBERTS WALKER WRIGHT "
    "THOMPSON WHITE HUGHES EDWARDS GREEN HALL WOOD HARRIS LEWIS MARTIN JACKSON CLARKE "
    "MULLER SCHMIDT SCHNEIDER FISCHER WEBER MEYER WAGNER BECKER SCHULZ HOFFMANN KOCH "
    "RICHTER KLEIN WOLF SCHRODER NEUMANN SCHWARZ ZIMMERMANN BRAUN KRUGER HOFMANN HARTMANN "
    "DUBOIS BERNARD ROBERT RICHARD PETIT DURAND LEROY MOREAU SIMON LAURENT LEFEBVRE "
    "MICHEL GARNIER FAURE ROUSSEAU BLANC GUERIN MULLER HENRY ROUSSEL NICOLAS PERRIN "
    "ROSSI RUSSO FERRARI ESPOSITO BIANCHI ROMANO COLOMBO RICCI MARINO GRECO BRUNO GALLO "
    "CONTI DELUCA MANCINI COSTA GIORDANO RIZZO LOMBARDI MORETTI FONTANA SANTORO "
    "KOWALSKI NOWAK WISNIEWSKI WOJCIK KOWALCZYK KAMINSKI LEWANDOWSKI ZIELINSKI SZYMANSKI "
    "WOZNIAK DABROWSKI KOZLOWSKI JANKOWSKI MAZUR KWIATKOWSKI NOVAK HORVATH NAGY KOVACS "
    "SZABO TOTH VARGA MOLNAR DEJONG JANSEN DEVRIES VANDENBERG BAKKER VISSER SMIT MEIJER "
    "POPESCU IONESCU POPA STAN DUMITRU PAPADOPOULOS PAPAS GEORGIOU NIKOLAIDIS"
)
NORDIC_STEMS = _w("JOHAN ERIK LARS KARL ANDERS NILS PER OLOF SVEN GUSTAF MAGNUS HANS PETER JON")
SPANISH_SURNAMES = _w(
    "GARCIA RODRIGUEZ GONZALEZ FERNANDEZ LOPEZ MARTINEZ SANCHEZ PEREZ GOMEZ MARTIN "
    "JIMENEZ RUIZ HERNANDEZ DIAZ MORENO MUNOZ ALVAREZ ROMERO ALONSO GUTIERREZ NAVARRO "
    "TORRES DOMINGUEZ VAZQUEZ RAMOS GIL RAMIREZ SERRANO BLANCO MOLINA MORALES SUAREZ "
    "ORTEGA DELGADO CASTRO ORTIZ RUBIO MARIN SANZ NUNEZ IGLESIAS MEDINA GARRIDO CORTES "
    "CASTILLO SANTOS LOZANO GUERRERO CANO PRIETO MENDEZ CRUZ CALVO GALLEGO VIDAL LEON "
    "SILVA SOUSA OLIVEIRA PEREIRA FERREIRA ALVES RIBEIRO CARVALHO GOMES LIMA ARAUJO"
)
SOUTH_ASIAN_GIVEN = _w(
    "RAHUL AMIT VIKRAM SANJAY RAJESH SURESH ANIL SUNIL RAVI ARJUN KARAN ROHIT VIJAY "
    "DEEPAK MANOJ ASHOK PRAKASH ARUN NAVEEN IMRAN ASIF TARIQ BILAL USMAN ZAHID SHAHID "
    "NADEEM WASEEM FAROOQ JAVED PRIYA ANJALI SUNITA KAVITA POOJA NEHA DIVYA LAKSHMI MEERA "
    "ANITA SHABNAM NAZIA RUKHSANA AYESHA SADIA FARAH HARPREET GURPREET MANPREET JASPREET"
)
SOUTH_ASIAN_SURNAMES = _w(
    "SHARMA VERMA GUPTA SINGH KUMAR PATEL SHAH MEHTA JOSHI DESAI REDDY RAO NAIR MENON "
    "PILLAI IYER CHATTERJEE BANERJEE MUKHERJEE GHOSH BOSE DAS SEN CHOWDHURY KHAN QURESHI "
    "MALIK CHAUDHRY BUTT AWAN MIRZA SHEIKH SIDDIQUI HUSSAIN RIZVI NAQVI JAFRI ANSARI "
    "KAPOOR MALHOTRA KHANNA CHOPRA AHUJA BHATIA SETHI ARORA GILL SANDHU SIDHU DHILLON"
)
TURKISH_GIVEN = _w(
    "MEHMET MUSTAFA AHMET ALI HUSEYIN HASAN IBRAHIM ISMAIL OSMAN YUSUF MURAT EMRE BURAK "
    "CEM DENIZ ERKAN FATIH GOKHAN HAKAN KEMAL LEVENT ONUR SERKAN TOLGA UGUR VOLKAN "
    "AYSE FATMA EMINE HATICE ZEYNEP ELIF MERVE BUSRA ESRA GAMZE OZLEM SEVGI TUGBA"
)
TURKISH_SURNAME_PARTS = _w(
    "YILDIZ KAYA DEMIR SAHIN CELIK YILMAZ OZ AK KARA AY GUN KURT ER TAS ARSLAN DOGAN "
    "AKSOY POLAT KOC BAL CAN GUL ALTIN TOPRAK"
)
TURKISH_SURNAME_ENDS = ("", "", "TURK", "OGLU", "DEMIR", "KAYA", "CAN", "ER", "TEKIN", "BAS")
WEST_AFRICAN_GIVEN = _w(
    "OLUWASEUN ADEBAYO CHINEDU EMEKA IFEANYI OBINNA CHIDI TUNDE KUNLE SEGUN BABATUNDE "
    "MUSA ABUBAKAR ALIYU SANI USMAN KWAME KOFI KWABENA YAW KOJO AMADOU MAMADOU IBRAHIMA "
    "OUSMANE MOUSSA NGOZI CHIAMAKA ADAEZE FOLAKE YETUNDE FUNMILAYO AMINATA FATOUMATA "
    "AISSATOU ABENA AKOSUA AMA ADWOA"
)
WEST_AFRICAN_SURNAMES = _w(
    "OKAFOR OKEKE NWOSU EZE OKONKWO ADEYEMI ADEBAYO OGUNLEYE OLADIPO BELLO ABDULLAHI "
    "MOHAMMED YUSUF DANJUMA MENSAH OWUSU BOATENG ASANTE OSEI ADJEI DIALLO DIOP NDIAYE "
    "FALL SOW BA CISSE TOURE TRAORE KEITA CAMARA KONATE COULIBALY SANGARE OUEDRAOGO"
)
VIETNAMESE_SURNAMES = _w("NGUYEN TRAN LE PHAM HOANG HUYNH PHAN VU VO DANG BUI DO HO NGO DUONG LY")
VIETNAMESE_PARTS = _w(
    "VAN THI DUC MINH ANH HOANG QUANG HUU THANH NGOC XUAN HONG THU LAN HUONG TUAN DUNG "
    "HUNG LONG NAM PHUONG LINH TRANG HAI SON KHANH BAO TRUNG"
)
PERSIAN_GIVEN = _w(
    "REZA MEHDI HOSSEIN AMIR MOHSEN MASOUD MAJID SAEED ALIREZA HAMID BEHROUZ DARIUSH "
    "FARHAD KOUROSH PARVIZ SHAHRAM MARYAM ZAHRA FATEMEH NARGES PARISA SHIRIN ROYA NASRIN"
)
PERSIAN_SURNAMES = _w(
    "HOSSEINI MOHAMMADI AHMADI REZAEI MOUSAVI JAFARI KARIMI RAHIMI HASHEMI SADEGHI "
    "MORADI TEHRANI SHIRAZI ESFAHANI TABRIZI KERMANI NAZARI GHORBANI SALEHI AZIZI"
)
# weights of the cultures in the generated list (and among travellers)
CULTURES = (("arabic", 0.25), ("cyrillic", 0.15), ("chinese", 0.12), ("amharic", 0.1),
            ("european", 0.12), ("spanish", 0.05), ("south_asian", 0.07), ("turkish", 0.04),
            ("west_african", 0.05), ("vietnamese", 0.02), ("persian", 0.03))  # fmt: skip


def zipf(rng: random.Random, items: list[str]) -> str:
    """Common names are common: rank r drawn with weight about 1/r."""
    index = int(len(items) ** rng.random()) - 1
    return items[min(index, len(items) - 1)]


def _culture(rng: random.Random) -> str:
    roll = rng.random()
    for name, weight in CULTURES:
        roll -= weight
        if roll < 0:
            return name
    return CULTURES[-1][0]


def _given(rng: random.Random, pool: list[str], counts: tuple[int, ...]) -> str:
    names: list[str] = []
    for _ in range(rng.choice(counts)):
        name = zipf(rng, pool)
        if name not in names:
            names.append(name)
    return " ".join(names)


def random_person(rng: random.Random) -> tuple[str, str, str]:
    """(culture, surname, given names) of one generated person."""
    culture = _culture(rng)
    if culture == "arabic":
        given = _given(rng, ARABIC_GIVEN, (1, 2, 2, 3))
        roll = rng.random()
        if roll < 0.45:
            surname = rng.choice(ARABIC_FAMILY)
        elif roll < 0.65:
            surname = rng.choice(ARABIC_PLACES) + rng.choice(("I", "I", "AWI"))
        elif roll < 0.8:
            surname = rng.choice(("ABU ", "BIN ", "ABU", "BEN")) + zipf(rng, ARABIC_GIVEN)
        else:
            surname = zipf(rng, ARABIC_GIVEN)  # the grandfather's name
        if rng.random() < 0.4 and not surname.startswith(("ABU", "BIN", "BEN")):
            surname = rng.choice(("AL-", "AL-", "EL-", "AL ")) + surname
    elif culture == "cyrillic":
        female = rng.random() < 0.5
        surname = rng.choice(RUSSIAN_ROOTS) + rng.choice(RUSSIAN_ENDINGS)
        if female and surname.endswith(("OV", "EV", "IN")):
            surname += "A"
        elif female and surname.endswith("SKY"):
            surname = surname[:-1] + "AYA"
        given = zipf(rng, RUSSIAN_GIVEN_F if female else RUSSIAN_GIVEN_M)
        if rng.random() < 0.5:
            father = zipf(rng, RUSSIAN_GIVEN_M).rstrip("AYI")
            given += " " + father + ("OVNA" if female else "OVICH")
    elif culture == "chinese":
        surname = zipf(rng, CHINESE_SURNAMES)
        given = "".join(zipf(rng, CHINESE_SYLLABLES) for _ in range(rng.choice((1, 2, 2, 2))))
    elif culture == "amharic":
        given = zipf(rng, AMHARIC_NAMES)
        roll = rng.random()
        if roll < 0.3:
            surname = rng.choice(AMHARIC_PREFIX) + rng.choice(AMHARIC_SUFFIX)
        else:
            surname = rng.choice(AMHARIC_NAMES)  # the father's given name
        if rng.random() < 0.3:
            given += " " + rng.choice(AMHARIC_NAMES)  # the father's name as a middle name
    elif culture == "european":
        given = _given(rng, EUROPEAN_GIVEN, (1, 1, 2))
        if rng.random() < 0.15:
            surname = rng.choice(NORDIC_STEMS) + "SSON"
        else:
            surname = rng.choice(EUROPEAN_SURNAMES)
            if rng.random() < 0.1:
                surname += "-" + rng.choice(EUROPEAN_SURNAMES)
    elif culture == "spanish":
        given = _given(rng, EUROPEAN_GIVEN[:80], (1, 2))
        surname = zipf(rng, SPANISH_SURNAMES) + " " + zipf(rng, SPANISH_SURNAMES)
    elif culture == "south_asian":
        given = _given(rng, SOUTH_ASIAN_GIVEN, (1, 1, 2))
        surname = rng.choice(SOUTH_ASIAN_SURNAMES)
    elif culture == "turkish":
        given = _given(rng, TURKISH_GIVEN, (1, 1, 2))
        surname = rng.choice(TURKISH_SURNAME_PARTS) + rng.choice(TURKISH_SURNAME_ENDS)
    elif culture == "west_african":
        given = _given(rng, WEST_AFRICAN_GIVEN, (1, 2))
        surname = rng.choice(WEST_AFRICAN_SURNAMES)
    elif culture == "vietnamese":
        surname = zipf(rng, VIETNAMESE_SURNAMES)
        given = " ".join(rng.sample(VIETNAMESE_PARTS, rng.choice((1, 2, 2))))
    else:
        given = _given(rng, PERSIAN_GIVEN, (1, 1, 2))
        surname = rng.choice(PERSIAN_SURNAMES)
    return culture, surname, given


def syllables(given: str) -> list[str]:
    """A pinyin given name cut into its syllables (longest first), as far as it goes."""
    out: list[str] = []
    rest = given
    while rest:
        for size in range(min(6, len(rest)), 0, -1):
            if rest[:size] in _SYLLABLES or size == 1:
                out.append(rest[:size])
                rest = rest[size:]
                break
    return out


_SYLLABLES = frozenset(CHINESE_SYLLABLES)


def random_birth(rng: random.Random) -> str:
    day = dt.date(1940, 1, 1) + dt.timedelta(days=rng.randrange(65 * 365))
    return day.isoformat()


def name_key(surname: str, given: str) -> tuple[str, ...]:
    """The normalised full name, order-free: two people with one key are namesakes."""
    return tuple(sorted(Name.of(surname, given).parts))


def compatible(birth_a: str, birth_b: str) -> bool:
    """Dates of birth a list must treat as the same person's (the same, partial and agreeing,
    a day or a year apart, day and month swapped)."""
    points, _ = birth_adjustment(birth_a, birth_b)
    return points > -20


# -- variants: the same person on another document -----------------------------------------
# Spelling differences each romanisation makes (the hand-written corpus shows them on real
# names); (from, to) applied at one place.
RESPELL = {
    "arabic": (("OU", "U"), ("U", "OU"), ("E", "A"), ("A", "E"), ("EE", "I"), ("I", "EE"),
               ("O", "U"), ("SS", "S"), ("MM", "M"), ("S", "SS"), ("KH", "H"), ("KH", "CH"),
               ("SH", "CH"), ("Q", "K"), ("J", "DJ"), ("TH", "T"), ("AI", "AY"), ("EI", "AY"),
               ("IA", "YA"), ("Y", "I"), ("AA", "A")),
    "cyrillic": (("V", "W"), ("OV", "OFF"), ("Y", "J"), ("IY", "I"), ("Y", "I"), ("KH", "H"),
                 ("KH", "CH"), ("SH", "SCH"), ("SH", "CH"), ("CH", "TCH"), ("ZH", "J"),
                 ("TS", "Z"), ("TS", "C"), ("YU", "IU"), ("YA", "IA"), ("YE", "E"),
                 ("SKY", "SKI"), ("SKY", "SKIY"), ("KS", "X")),
    # Wade-Giles and Cantonese/Taiwanese spellings of pinyin syllables
    "chinese": (("ZH", "CH"), ("X", "HS"), ("Q", "CH"), ("J", "CH"), ("IE", "IEH"),
                ("UO", "O"), ("ONG", "UNG"), ("Z", "TS"), ("C", "TS"), ("R", "J"),
                ("OU", "OW"), ("ZHOU", "CHOW"), ("HUANG", "WONG"),
                ("CHEN", "CHAN"), ("ZHANG", "CHEUNG")),
    "amharic": (("E", "A"), ("A", "E"), ("AI", "AY"), ("AYE", "AY"), ("W", "U"), ("G", "GH"),
                ("TS", "S"), ("TS", "TZ"), ("Q", "K"), ("K", "Q"), ("SS", "S"), ("S", "SS"),
                ("T", "TT"), ("O", "U"), ("Y", "I")),
}  # fmt: skip
RESPELL["other"] = (("SS", "S"), ("LL", "L"), ("TH", "T"), ("PH", "F"), ("Y", "I"),
                    ("EE", "I"), ("OU", "U"), ("C", "K"), ("Z", "S"), ("W", "V"),
                    ("AI", "AY"), ("IE", "I"))  # fmt: skip
FAMILIES = ("arabic", "cyrillic", "chinese", "amharic", "truncation", "swapped", "middle")


def respell(rng: random.Random, text: str, table: tuple[tuple[str, str], ...]) -> str:
    def places(a: str) -> list[int]:
        # a letter is not respelled where it begins a digraph (the Z of ZH, the C of CH);
        # a whole name (ZHANG, CHEUNG) only where it stands whole
        if len(a) >= 4:
            return [0] if text == a else []
        return [i for i in range(len(text)) if text.startswith(a, i)
                and not (len(a) == 1 and text[i + 1 : i + 2] == "H")]  # fmt: skip

    options = [(a, b) for a, b in table if a != b and places(a)]
    if not options:
        return text
    a, b = rng.choice(options)
    at = rng.choice(places(a))
    return text[:at] + b + text[at + len(a) :]


def _birth_variant(rng: random.Random, birth: str) -> str:
    """Most documents agree with the list; some swap day and month or are a day off."""
    roll = rng.random()
    if len(birth) == 10 and roll < 0.08 and int(birth[8:]) <= 12:
        return f"{birth[:5]}{birth[8:]}-{birth[5:7]}"
    if len(birth) == 10 and roll < 0.12:
        return (dt.date.fromisoformat(birth) + dt.timedelta(days=rng.choice((-1, 1)))).isoformat()
    if len(birth) == 4:
        return f"{birth}-{rng.randrange(1, 13):02d}-{rng.randrange(1, 29):02d}"
    return birth


def mrz_cut(surname: str, given: str, length: int) -> tuple[str, str]:
    """The name as a `length`-character MRZ name field prints it (particles kept)."""

    def mrz(text: str) -> str:
        return "<".join(p for p in "".join(c if c.isalpha() else " " for c in text).split())

    field = (mrz(surname) + "<<" + mrz(given))[:length]
    head, _, tail = field.partition("<<")
    return head.replace("<", " ").strip(), tail.replace("<", " ").strip()


def variant(
    rng: random.Random, family: str, culture: str, surname: str, given: str, birth: str
) -> tuple[str, str, str, int | None] | None:
    """The same person as another document prints them, by `family` (None when the person
    cannot show that family: a name too short to truncate, no middle name to lose)."""
    field: int | None = None
    if family in RESPELL:
        if culture != family:
            return None
        if family == "chinese" and rng.random() < 0.2:
            given = " ".join(syllables(given))  # XIAOMING, XIAO MING (cut while pinyin)
        parts = [surname, given]
        wanted = rng.choice((1, 1, 2))
        for _ in range(8):  # one or two changes that show (a part may offer none)
            which = rng.randrange(2)
            changed = respell(rng, parts[which], RESPELL[family])
            wanted -= changed != parts[which]
            parts[which] = changed
            if wanted <= 0:
                break
        if [p.replace(" ", "") for p in parts] == [surname, given.replace(" ", "")]:
            return None
        surname, given = parts
        if family == "arabic" and rng.random() < 0.3:
            for article in ("AL-", "EL-", "AL "):
                if surname.startswith(article):
                    rest = surname[len(article) :]
                    surname = rng.choice((rest, "AL" + rest, "EL-" + rest, "EL " + rest))
                    break
    elif family == "truncation":
        field = 30 if rng.random() < 0.5 else 39
        full = len(surname) + 2 + len(given)
        if full <= field:
            return None
        surname, given = mrz_cut(surname, given, field)
        if not given:
            return None
    elif family == "swapped":
        surname, given = given, surname
    elif family == "middle":
        names = given.split()
        if len(names) < 2:
            return None
        del names[rng.randrange(1, len(names))]
        given = " ".join(names)
    return surname, given, _birth_variant(rng, birth), field
