"""Our own corpus of name variants: one listed spelling, the spellings travellers' documents
print for the same person. Written by hand from the romanisation systems in use (Arabic:
English, French, German, Egyptian and Gulf spellings and the script itself; Russian and
Ukrainian: BGN/PCGN, ICAO 9303, French, German, Polish; Chinese: pinyin, Wade-Giles;
Amharic: the common English spellings and the Ge'ez script). Some variants are known to
be hard (Cantonese for a pinyin name, Egyptian G for J) and are expected to be missed:
the recall figure counts them.

Rows: (listed surname, listed given names, listed birth date), then the variants as
(surname, given names, birth date on the document, name field length or None).
"""

from __future__ import annotations

Variant = tuple[str, str, str, int | None]
Group = tuple[str, tuple[str, str, str], list[Variant]]

CORPUS: list[Group] = [
    # -- Arabic ---------------------------------------------------------------------------
    ("arabic", ("AL-HASSAN", "Muhammad Abdul Rahman", "1981-07-14"), [
        ("ALHASAN", "MOHAMED ABDELRAHMAN", "1981-07-14", 39),
        ("HASSAN", "MOHAMMED ABDULRAHMAN", "1981-07-14", 39),
        ("EL HASSAN", "MOHAMMAD ABDUL RAHMAN", "1981-07-14", None),
        ("AL HASAN", "MUHAMMED", "1981-07-14", 39),
        ("الحسن", "محمد عبد الرحمن", "1981-07-14", None),
        ("Аль-Хасан", "Мухаммад", "1981-07-14", None),
    ]),
    ("arabic", ("ABDULLAH", "Khalid", "1975-03-02"), [
        ("ABDALLA", "KHALED", "1975-03-02", 39),
        ("ABDALLAH", "KHALID", "1975-03-02", 39),
        ("ABDULLA", "CHALED", "1975-03-02", 39),
        ("عبد الله", "خالد", "1975-03-02", None),
    ]),
    ("arabic", ("HUSSEIN", "Ali", "1990-11-30"), [
        ("HUSSAIN", "ALI", "1990-11-30", 39),
        ("HOSSEIN", "ALY", "1990-11-30", 39),
        ("HUSAYN", "ALI", "1990-11-30", 39),
        ("HUSEIN", "ALI", "1990-11-30", 39),
        ("حسين", "علي", "1990-11-30", None),
    ]),
    ("arabic", ("YOUSSEF", "Omar", "1988-02-01"), [
        ("YUSUF", "UMAR", "1988-02-01", 39),
        ("YOUSEF", "OMAR", "1988-02-01", 39),
        ("JUSUF", "OMAR", "1988-02-01", 39),
        ("YOUSSEF", "OMAR", "1988-01-02", 39),  # day and month swapped
    ]),
    ("arabic", ("EL-SAYED", "Ahmed Mahmoud", "1969-05-05"), [
        ("ELSAYED", "AHMED", "1969-05-05", 39),
        ("SAYED", "AHMAD MAHMOUD", "1969-05-05", 39),
        ("EL SAIED", "AHMED MAHMUD", "1969-05-05", 39),
        ("AL SAYYID", "AHMAD", "1969-05-05", 39),
    ]),
    ("arabic", ("OTHMAN", "Mustafa", "1979-09-21"), [
        ("UTHMAN", "MUSTAFA", "1979-09-21", 39),
        ("OTHMANE", "MOUSTAFA", "1979-09-21", 39),
        ("OTMAN", "MUSTAPHA", "1979-09-21", 39),
    ]),
    ("arabic", ("QURESHI", "Faisal", "1984-12-08"), [
        ("KURESHI", "FAYSAL", "1984-12-08", 39),
        ("QURAISHI", "FAISAL", "1984-12-08", 39),
        ("QOREISHI", "FEISAL", "1984-12-08", 39),
    ]),
    ("arabic", ("AL-RASHID", "Harun", "1972-04-30"), [
        ("ALRASHEED", "HAROON", "1972-04-30", 39),
        ("RASHID", "HAROUN", "1972-04-30", 39),
        ("AR-RASHID", "HARUN", "1972-04-30", 39),
    ]),
    ("arabic", ("NASRALLAH", "Jamal", "1966-10-10"), [
        ("NASRALLA", "DJAMEL", "1966-10-10", 39),
        ("NASRULLAH", "GAMAL", "1966-10-10", 39),  # Egyptian G: expected to be hard
        ("NASR ALLAH", "JAMAL", "1966-10-10", 39),
    ]),
    ("arabic", ("BENALI", "Mohamed", "1993-06-17"), [
        ("BEN ALI", "MOHAMMED", "1993-06-17", 39),
        ("BIN ALI", "MUHAMMAD", "1993-06-17", 39),
        ("BENALI", "MHAMED", "1993-06-17", 39),
    ]),
    ("arabic", ("AL-ZAHRANI", "Abdulaziz Saad", "1985-01-25"), [
        ("ALZAHRANI", "ABDULAZIZ SAAD", "1985-01-25", 39),
        ("ZAHRANI", "ABDUL AZIZ", "1985-01-25", 39),
        ("AL ZAHRANY", "ABDELAZIZ SAAD", "1985-01-25", 39),
    ]),
    # -- Cyrillic -------------------------------------------------------------------------
    ("cyrillic", ("Чайковский", "Сергей", "1975"), [
        ("TCHAIKOVSKY", "SERGEI", "1975-03-01", 39),
        ("CHAIKOVSKII", "SERGEY", "1975-03-01", 39),
        ("TSCHAIKOWSKI", "SERGEJ", "1975-03-01", 39),
        ("CHAYKOVSKIY", "SERGUEI", "1975-03-01", 39),
    ]),
    ("cyrillic", ("Хрущёв", "Никита", "1964-04-17"), [
        ("KHRUSHCHEV", "NIKITA", "1964-04-17", 39),
        ("KHROUCHTCHEV", "NIKITA", "1964-04-17", 39),
        ("CHRUSCHTSCHOW", "NIKITA", "1964-04-17", 39),
    ]),
    ("cyrillic", ("Соколов", "Евгений", "1983-08-08"), [
        ("SOKOLOV", "YEVGENY", "1983-08-08", 39),
        ("SOKOLOW", "JEWGENI", "1983-08-08", 39),
        ("SOKOLOV", "EVGENII", "1983-08-08", 39),
        ("SOKOLOFF", "EVGUENI", "1983-08-08", 39),
    ]),
    ("cyrillic", ("Иванов", "Александр Петрович", "1980-01-01"), [
        ("IVANOV", "ALEKSANDR", "1980-01-01", 39),
        ("IVANOV", "ALEXANDER PETROVICH", "1980-01-01", 39),
        ("IWANOW", "ALEXANDR", "1980-01-01", 39),
        ("IVANOFF", "ALEKSANDRE", "1980-01-01", 39),
    ]),
    ("cyrillic", ("Шевченко", "Олександр", "1977-05-19"), [
        ("SHEVCHENKO", "OLEKSANDR", "1977-05-19", 39),
        ("SHEVCHENKO", "OLEXANDR", "1977-05-19", 39),
        ("SCHEWTSCHENKO", "OLEKSANDR", "1977-05-19", 39),
        ("CHEVTCHENKO", "ALEKSANDR", "1977-05-19", 39),
    ]),
    ("cyrillic", ("Кузнецов", "Дмитрий", "1991-02-14"), [
        ("KUZNETSOV", "DMITRY", "1991-02-14", 39),
        ("KUZNECOV", "DMITRIJ", "1991-02-14", 39),
        ("KOUZNETSOV", "DMITRI", "1991-02-14", 39),
        ("KUSNEZOW", "DMITRI", "1991-02-14", 39),
    ]),
    ("cyrillic", ("Ковальчук", "Юлия", "1995-09-03"), [
        ("KOVALCHUK", "YULIA", "1995-09-03", 39),
        ("KOWALCZUK", "JULIA", "1995-09-03", 39),
        ("KOVALTCHOUK", "IOULIA", "1995-09-03", 39),
        ("KOVALCHUK", "YULIYA", "1995-09-03", 39),
    ]),
    ("cyrillic", ("Щербакова", "Наталья", "1968-12-24"), [
        ("SHCHERBAKOVA", "NATALYA", "1968-12-24", 39),
        ("SCHERBAKOVA", "NATALIA", "1968-12-24", 39),
        ("CHTCHERBAKOVA", "NATALIA", "1968-12-24", 39),
        ("SZCZERBAKOWA", "NATALJA", "1968-12-24", 39),
    ]),
    # -- Chinese --------------------------------------------------------------------------
    ("chinese", ("张", "伟", "1985-06-01"), [
        ("ZHANG", "WEI", "1985-06-01", 39),
        ("CHANG", "WEI", "1985-06-01", 39),
        ("WEI", "ZHANG", "1985-06-01", 39),
        ("CHEUNG", "WAI", "1985-06-01", 39),  # Cantonese: expected to be hard
    ]),
    ("chinese", ("王", "小明", "1992-03-15"), [
        ("WANG", "XIAOMING", "1992-03-15", 39),
        ("WANG", "XIAO MING", "1992-03-15", 39),
        ("WONG", "HSIAO MING", "1992-03-15", 39),
        ("XIAOMING", "WANG", "1992-03-15", 39),
    ]),
    ("chinese", ("刘", "洋", "1989-10-09"), [
        ("LIU", "YANG", "1989-10-09", 39),
        ("LIOU", "YANG", "1989-10-09", 39),
        ("YANG", "LIU", "1989-10-09", 39),
    ]),
    ("chinese", ("陈", "建国", "1958-07-01"), [
        ("CHEN", "JIANGUO", "1958-07-01", 39),
        ("CHEN", "JIAN GUO", "1958-07-01", 39),
        ("CH'EN", "CHIEN KUO", "1958-07-01", 39),  # Wade-Giles
    ]),
    ("chinese", ("周", "杰", "1979-01-18"), [
        ("ZHOU", "JIE", "1979-01-18", 39),
        ("CHOU", "CHIEH", "1979-01-18", 39),
        ("JIE", "ZHOU", "1979-01-18", 39),
    ]),
    # -- Amharic --------------------------------------------------------------------------
    ("amharic", ("GEBREMEDHIN", "Tesfaye", "1982-11-11"), [
        ("GEBRE MEDHIN", "TESFAYE", "1982-11-11", 39),
        ("GEBREMEDIN", "TESFAY", "1982-11-11", 39),
        ("GHEBREMEDHIN", "TESFAIE", "1982-11-11", 39),
        ("ገብረመድህን", "ተስፋዬ", "1982-11-11", None),
    ]),
    ("amharic", ("HAILEMARIAM", "Tewodros", "1976-02-29"), [
        ("HAILE MARIAM", "TEWODROS", "1976-02-29", 39),
        ("HAYLEMARYAM", "TEODROS", "1976-02-29", 39),
        ("HAILEMARYAM", "THEODROS", "1976-02-29", 39),
    ]),
    ("amharic", ("WOLDEMICHAEL", "Yohannes", "1987-08-30"), [
        ("WOLDE MICHAEL", "YOHANNES", "1987-08-30", 39),
        ("WOLDEMIKAEL", "YOHANES", "1987-08-30", 39),
        ("WELDEMIKAEL", "JOHANNES", "1987-08-30", 39),
        ("WOLDEMICHAEL", "YOHANNIS", "1987-08-30", 39),
    ]),
    ("amharic", ("BEKELE", "Mulugeta", "1971-06-06"), [
        ("BEKELE", "MULUGETA", "1971-06-06", 39),
        ("BEQELE", "MULUGETTA", "1971-06-06", 39),
        ("BEKELLE", "MULUGHETA", "1971-06-06", 39),
    ]),
    ("amharic", ("ASFAW", "Tsehay", "1994-04-04"), [
        ("ASFAW", "TSEHAI", "1994-04-04", 39),
        ("ASFAWU", "TSEHAYE", "1994-04-04", 39),
        ("አስፋው", "ፀሐይ", "1994-04-04", None),
    ]),
    # -- MRZ truncation (TD3: 39 characters for SURNAME<<GIVEN<NAMES) ----------------------
    ("truncation", ("ABDULRAHMAN ALKHALIFA", "Mohammed Faisal Sultan Abdullah", "1978-03-03"), [
        ("ABDULRAHMAN ALKHALIFA", "MOHAMMED FAISAL S", "1978-03-03", 39),
        ("ABDULRAHMAN ALKHALIFA", "MOHAMED FAISAL SU", "1978-03-03", 39),
    ]),
    ("truncation", ("WOLDEGIORGIS GEBREYESUS", "Teklehaimanot Berhane", "1960-09-09"), [
        ("WOLDEGIORGIS GEBREYESUS", "TEKLEHAIMANOT BER", "1960-09-09", 39),
        ("WOLDEGIORGIS GEBREYESUS", "TEKLEHAIMANOT", "1960-09-09", 39),
    ]),
    ("truncation", ("DE LA CRUZ FERNANDEZ", "Maria Guadalupe Esperanza", "1986-12-12"), [
        ("DE LA CRUZ FERNANDEZ", "MARIA GUADALUPE E", "1986-12-12", 39),
        ("CRUZ FERNANDEZ", "MARIA GUADALUPE ES", "1986-12-12", 39),
    ]),
    ("truncation", ("Константинопольский", "Константин Константинович", "1970-07-07"), [
        ("KONSTANTINOPOLSKII", "KONSTANTIN KONSTANT", "1970-07-07", 39),
        ("KONSTANTINOPOLSKIY", "KONSTANTIN", "1970-07-07", 39),
    ]),
    # -- swapped surname and given names -------------------------------------------------
    ("swapped", ("PETROV", "Ivan", "1970-05-05"), [
        ("IVAN", "PETROV", "1970-05-05", 39),
        ("PETROV", "IVAN", "1970-05-05", 39),
    ]),
    ("swapped", ("NGUYEN", "Van An", "1990-01-20"), [
        ("VAN AN", "NGUYEN", "1990-01-20", 39),
        ("AN", "NGUYEN VAN", "1990-01-20", 39),
    ]),
    ("swapped", ("OKAFOR", "Chidi Emeka", "1983-03-30"), [
        ("CHIDI EMEKA", "OKAFOR", "1983-03-30", 39),
        ("EMEKA", "CHIDI OKAFOR", "1983-03-30", 39),
    ]),
    # -- missing middle names -------------------------------------------------------------
    ("middle", ("GARCIA LOPEZ", "Maria Jose", "1977-11-02"), [
        ("GARCIA", "MARIA JOSE", "1977-11-02", 39),
        ("GARCIA LOPEZ", "MARIA", "1977-11-02", 39),
    ]),
    ("middle", ("SILVA", "Joao Pedro Henrique", "1999-08-19"), [
        ("SILVA", "JOAO", "1999-08-19", 39),
        ("SILVA", "JOAO HENRIQUE", "1999-08-19", 39),
    ]),
    ("middle", ("KHAN", "Imran Ahmed", "1974-02-02"), [
        ("KHAN", "IMRAN", "1974-02-02", 39),
        ("KHAN", "IMRAN AHMAD", "1974-02-02", 39),
    ]),
]  # fmt: skip

# Travellers that are NOT the listed person (different people sharing parts of a name, or
# the same name with another date of birth): each must not be a hit against CORPUS.
NOT_LISTED: list[Variant] = [
    ("HUSSEIN", "ALI", "1972-03-15", 39),  # same name, another date of birth
    ("HASSAN", "OMAR", "1981-07-14", 39),
    ("ABDULLAH", "KHALID", "1999-01-01", 39),
    ("IVANOVA", "ANNA", "1980-01-01", 39),
    ("IVANOV", "PAVEL", "1980-01-01", 39),
    ("ZHANG", "LI", "1985-06-01", 39),
    ("WANG", "WEI", "1960-02-02", 39),
    ("SOKOLOVA", "ELENA", "1983-08-08", 39),
    ("BEKELE", "ABEBE", "1971-06-06", 39),
    ("GARCIA", "JUAN CARLOS", "1977-11-02", 39),
    ("SILVA", "ANA PAULA", "1999-08-19", 39),
    ("KHAN", "AISHA", "1974-02-02", 39),
    ("PETROVA", "IRINA", "1970-05-05", 39),
    ("YOUSSEF", "MARIAM", "1988-02-01", 39),
    ("EL-SAYED", "FATIMA", "1969-05-05", 39),
    ("QURESHI", "SANA", "1984-12-08", 39),
]

# Common name parts per culture: random unlisted travellers for the false-hit figure.
SURNAMES = [
    "MOHAMED",
    "AHMED",
    "ALI",
    "HASSAN",
    "HUSSEIN",
    "IBRAHIM",
    "MAHMOUD",
    "MUSTAFA",
    "SALEH",
    "KHALIL",
    "NASSER",
    "HAMDAN",
    "SMIRNOV",
    "IVANOV",
    "KUZNETSOV",
    "POPOV",
    "VASILIEV",
    "PETROV",
    "SOKOLOV",
    "MIKHAILOV",
    "NOVIKOV",
    "FEDOROV",
    "WANG",
    "LI",
    "ZHANG",
    "LIU",
    "CHEN",
    "YANG",
    "HUANG",
    "ZHAO",
    "WU",
    "ZHOU",
    "XU",
    "SUN",
    "MA",
    "ZHU",
    "HU",
    "GUO",
    "LIN",
    "TADESSE",
    "GIRMA",
    "HAILE",
    "KEBEDE",
    "ALEMU",
    "BEKELE",
    "TESFAYE",
    "MENGISTU",
    "ABEBE",
    "GETACHEW",
    "SMITH",
    "JONES",
    "GARCIA",
    "MARTINEZ",
    "SILVA",
    "SANTOS",
    "NGUYEN",
    "KIM",
    "PARK",
    "MULLER",
    "SCHMIDT",
    "DUBOIS",
]
GIVEN = [
    "MOHAMMED",
    "AHMED",
    "OMAR",
    "YOUSSEF",
    "KHALED",
    "FATIMA",
    "AISHA",
    "MARIAM",
    "SARA",
    "HASSAN",
    "ALI",
    "IBRAHIM",
    "ALEXANDER",
    "DMITRY",
    "SERGEY",
    "ANDREI",
    "IVAN",
    "OLGA",
    "NATALIA",
    "ELENA",
    "TATIANA",
    "IRINA",
    "WEI",
    "FANG",
    "JING",
    "LEI",
    "YAN",
    "JIE",
    "MIN",
    "HUI",
    "QIANG",
    "XIN",
    "ABEBE",
    "TESFAYE",
    "MULUGETA",
    "YOHANNES",
    "SELAM",
    "TIGIST",
    "HANNA",
    "MERON",
    "DAWIT",
    "BIRUK",
    "JOHN",
    "MARY",
    "JOSE",
    "MARIA",
    "ANNA",
    "LUCAS",
    "SOPHIE",
    "JUAN",
    "CARLOS",
    "PEDRO",
]
