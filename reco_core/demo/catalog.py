"""What a French building-materials distributor (négoce BTP) sells, and to whom: the knowledge the
demo generator turns into a warehouse.

Everything here is plain data so that a reviewer who knows the trade can check it without
reading the generator: univers → gammes → product templates (a French label, its variants, the
supplier brands that make it), the trades that buy, and the job kits each trade buys together.
Template keys and recipe slugs are stable: kit ids are built from them.
"""

from __future__ import annotations

from dataclasses import dataclass

HOUSE_BRAND = "Batipro"  # the distributor's own brand (MDD): cheaper twins of branded products


@dataclass(frozen=True)
class Template:
    """One kind of product; every (variant, brand) of it is a distinct reference."""

    key: str
    name: str
    variants: tuple[str, ...]
    brands: tuple[str, ...]
    qty: float = 1.0  # typical quantity on an order line (units, bags, boxes...)
    mdd: bool = True  # whether the house brand sells a twin (not for boilers, roof windows...)
    refs: float = 1.0  # how many extra references a large catalogue carries (tiles, paints: many)


@dataclass(frozen=True)
class Gamme:
    label: str
    templates: tuple[Template, ...]


@dataclass(frozen=True)
class Univers:
    code: str
    label: str
    gammes: tuple[Gamme, ...]


@dataclass(frozen=True)
class Recipe:
    """A job kit: the templates a trade buys together for one job, anchor (the main item) first.

    `professions[0]` owns the kit; a second profession, if any, also buys its canonical variant.
    """

    slug: str
    name: str
    professions: tuple[str, ...]
    keys: tuple[str, ...]


@dataclass(frozen=True)
class Profession:
    code: str
    customer_share: float  # share of the customer base
    activity: float  # relative number of orders per customer
    job_size: float  # relative quantities per order line
    univers: tuple[str, ...]  # univers of its trade, favoured when it buys outside its kits
    season: tuple[float, ...] = (1.0,) * 12  # January..December order-rate factors


# --- brands ----------------------------------------------------------------------------------
_PLATRE = ("Placo", "Knauf", "Siniat")
_ISOL = ("Isover", "Ursa", "Knauf Insulation")
_PER = ("Comap", "Rehau", "Uponor")
_PVC = ("Nicoll", "Girpi", "Wavin")
_ROBINET = ("Grohe", "Hansgrohe", "Jacob Delafon")
_RACCORD = ("Comap", "Watts", "Sferaco")
_WC = ("Geberit", "Grohe", "Siamp")
_CERAM = ("Jacob Delafon", "Ideal Standard", "Roca")
_CABLE = ("Nexans", "Prysmian")
_APPAREIL = ("Legrand", "Schneider Electric", "Hager")
_GAINE = ("Iboco", "Courant")
_LUMIERE = ("Aric", "Ledvance", "Philips")
_CIMENT = ("Vicat", "Calcia", "Lafarge")
_GRANULAT = ("Lafarge", "Cemex", "Eqiom")
_BLOC = ("Fabemi", "Alkern", "Stradal")
_ACIER = ("ArcelorMittal", "Celsa", "Riva")
_MORTIER = ("Weber", "Parexlanko", "Sika")
_COLLE = ("Weber", "Parexlanko", "Mapei")
_CARREAU = ("Marazzi", "Novoceram", "Cérabati")
_POSE = ("Rubi", "Raimondi", "Sigma")
_PROFILE = ("Schlüter", "Dural", "Proline")
_PEINTURE = ("Tollens", "Seigneurie", "Zolpan")
_ENDUIT = ("Toupret", "Semin", "Beissier")
_OUTIL_PEINTRE = ("L'Outil Parfait", "Nespoli", "Roulor")
_ADHESIF = ("Tesa", "3M", "Stylex")
_PANNEAU = ("Egger", "Kronospan", "Finsa")
_BOIS = ("Piveteau", "Monnet-Sève", "Sciages de France")
_MENUIS = ("Jeld-Wen", "Huet", "Malerba")
_FERRURE = ("Hettich", "Blum", "Grass")
_CONNECTEUR = ("Simpson Strong-Tie", "BMF", "Sihga")
_TERRASSE = ("Jouplast", "Buzon")
_TUILE = ("Terreal", "Monier", "Edilians")
_ZINC = ("VMZinc", "Nedzink")
_ETANCH = ("Siplast", "Onduline", "Firestone")
_TOIT = ("Velux", "Fakro", "Roto")
_RADIATEUR = ("Acova", "Finimetal", "Atlantic")
_CHAUDIERE = ("Saunier Duval", "De Dietrich", "Frisquet")
_PAC = ("Atlantic", "Daikin", "Mitsubishi Electric")
_HYDRAU = ("Zilmet", "Reflex", "Fernox")
_VMC = ("Aldes", "Atlantic", "Unelvent")
_REGUL = ("Delta Dore", "Honeywell", "Netatmo")
_CLOTURE = ("Dirickx", "Betafence")
_ARROSAGE = ("Rain Bird", "Hunter", "Gardena")
_JARDIN = ("Fertiligène", "Klasmann", "Botanic Pro")
_OUTIL = ("Stanley", "Facom", "Bahco")
_OUTIL_MACON = ("Taliaplast", "Outifrance", "Rubi")
_MESURE = ("Stabila", "Stanley", "Tajima")
_ELECTRO = ("Makita", "Bosch Professional", "DeWalt")
_CONSO = ("Bosch", "Diager", "Tivoly")
_VIS = ("Spit", "SFS", "Würth")
_CHEVILLE = ("Fischer", "Spit", "Rawlplug")
_POINTE = ("Duo-Fast", "Spit", "Paslode")
_MASTIC = ("Sika", "Soudal", "Bostik")
_EPI = ("Delta Plus", "Mapa", "Uvex")
_VETEMENT = ("Parade", "Dickies", "Puma Safety")


def _t(
    key: str,
    name: str,
    variants: str,
    brands: tuple[str, ...],
    qty: float = 1.0,
    *,
    mdd: bool = True,
    refs: float = 1.0,
) -> Template:
    """A template whose variants are written "a|b|c", so that one template fits on one line."""
    return Template(key, name, tuple(variants.split("|")), brands, qty, mdd, refs)


# fmt: off
# The standard variant of each template (the one most bought, used by canonical kits) is first.
UNIVERS: tuple[Univers, ...] = (
    Univers("PLATRERIE", "Plâtrerie & isolation", (
        Gamme("Plaques de plâtre", (
            _t("ba13", "Plaque de plâtre BA13 standard",
               "2500x1200|2600x1200|2700x1200|2800x1200|3000x1200", _PLATRE, 24),
            _t("ba13_hydro", "Plaque de plâtre BA13 hydro", "2500x1200|2600x1200|2800x1200", _PLATRE, 12),
            _t("ba13_phonique", "Plaque de plâtre BA13 phonique",
               "2500x1200|2600x1200|2800x1200", _PLATRE, 12),
            _t("ba13_feu", "Plaque de plâtre BA13 feu", "2500x1200|2600x1200|3000x1200", _PLATRE, 10),
            _t("ba18", "Plaque de plâtre BA18 haute dureté", "2500x900|2600x900|3000x900", _PLATRE, 10),
        )),
        Gamme("Ossatures métalliques", (
            _t("rail_r48", "Rail R48", "3 m|4 m", _PLATRE, 12),
            _t("montant_m48", "Montant M48", "2,50 m|2,60 m|2,80 m|3,00 m", _PLATRE, 30),
            _t("rail_r70", "Rail R70", "3 m|4 m", _PLATRE, 8),
            _t("montant_m70", "Montant M70", "2,50 m|2,70 m|3,00 m", _PLATRE, 20),
            _t("fourrure", "Fourrure F530", "3 m|4 m", _PLATRE, 20),
            _t("suspente", "Suspente pivot F530", "courte boîte de 100|longue boîte de 100", _PLATRE, 2),
            _t("corniere", "Cornière périphérique", "3 m|2,50 m", _PLATRE, 10),
        )),
        Gamme("Bandes & enduits", (
            _t("bande_joint", "Bande à joint papier", "150 m|75 m|23 m", _PLATRE, 3),
            _t("enduit_prise", "Enduit joint prise", "25 kg|5 kg", ("Placo", "Knauf", "Semin"), 3),
            _t("enduit_sechage", "Enduit joint séchage", "25 kg|15 kg|5 kg", ("Placo", "Knauf", "Semin"), 3),
            _t("enduit_pret", "Enduit joint prêt à l'emploi",
               "seau 25 kg|seau 7 kg", ("Placo", "Semin", "Beissier"), 2),
            _t("bande_armee", "Bande armée d'angle", "50 mm x 30 m|50 mm x 15 m", _PLATRE, 2),
            _t("map", "Mortier adhésif MAP", "25 kg|10 kg", _PLATRE, 6),
        )),
        Gamme("Isolation thermique & acoustique", (
            _t("gr32", "Laine de verre GR32 revêtue kraft", "45 mm|75 mm|100 mm|120 mm|140 mm", _ISOL, 8),
            _t("laine_cloison", "Panneau laine minérale cloison", "45 mm|70 mm", _ISOL, 10),
            _t("doublage", "Complexe de doublage PSE + BA10",
               "10+40 2500x1200|10+60 2500x1200|10+80 2600x1200|10+100 2600x1200", _PLATRE, 15),
            _t("pare_vapeur", "Membrane pare-vapeur",
               "1,5 x 50 m|3 x 25 m", ("Isover", "Siga", "Knauf Insulation"), 2),
            _t("adhesif_pv", "Adhésif pare-vapeur",
               "60 mm x 25 m|40 mm x 40 m", ("Isover", "Siga", "Tesa"), 3),
            _t("laine_souffler", "Laine de verre à souffler", "sac 16 kg", _ISOL, 15),
        )),
    )),
    Univers("PLOMBERIE", "Plomberie & sanitaire", (
        Gamme("Tubes & raccords PER", (
            _t("per", "Tube PER",
               "16 mm couronne 50 m|16 mm couronne 100 m|20 mm couronne 50 m|12 mm couronne 50 m", _PER, 2),
            _t("per_gaine", "Tube PER prégainé",
               "16 mm bleu couronne 50 m|16 mm rouge couronne 50 m|20 mm bleu couronne 50 m|"
               "20 mm rouge couronne 50 m",
               _PER, 2),
            _t("raccord_per", "Raccord à sertir PER",
               "16 x 15/21 mâle|20 x 20/27 mâle|16 x 15/21 femelle", _PER, 6),
            _t("coude_applique", "Coude applique à sertir PER", "16 x 15/21|20 x 20/27", _PER, 4),
            _t("collecteur", "Collecteur nourrice laiton",
               "2 départs|3 départs|4 départs|5 départs", _RACCORD),
            _t("multicouche", "Tube multicouche",
               "16 mm couronne 50 m|20 mm couronne 50 m|26 mm barre 5 m", ("Comap", "Henco", "Uponor"), 2),
            _t("raccord_mc", "Raccord à sertir multicouche",
               "té 16 mm|coude 16 mm|manchon 16 mm|té 20 mm|coude 20 mm", ("Comap", "Henco", "Uponor"), 6),
        )),
        Gamme("Cuivre & brasure", (
            _t("tube_cuivre", "Tube cuivre écroui",
               "12 mm barre 2 m|14 mm barre 2 m|16 mm barre 2 m|18 mm barre 2 m|22 mm barre 2 m",
               ("KME", "Mueller", "Wieland"), 6),
            _t("coude_cuivre", "Coude cuivre à souder 90°", "12 mm|14 mm|16 mm|18 mm|22 mm", _RACCORD, 10),
            _t("te_cuivre", "Té égal cuivre à souder", "12 mm|14 mm|16 mm|18 mm|22 mm", _RACCORD, 4),
            _t("brasure", "Baguettes de brasure",
               "cuivre-phosphore 2 % 1 kg|argent 40 % étui de 10",
               ("Castolin", "Guilbert Express", "Sievert")),
            _t("decapant", "Décapant pour brasure",
               "pot 125 ml|pot 250 ml", ("Castolin", "Guilbert Express")),
        )),
        Gamme("Évacuation PVC", (
            _t("tube_pvc", "Tube PVC évacuation", "Ø32 mm 2 m|Ø40 mm 2 m|Ø50 mm 4 m|Ø100 mm 4 m", _PVC, 4),
            _t("coude_pvc", "Coude PVC 87°30 mâle-femelle", "Ø32|Ø40|Ø50|Ø100", _PVC, 6),
            _t("manchon_pvc", "Manchon PVC femelle-femelle", "Ø32|Ø40|Ø50|Ø100", _PVC, 4),
            _t("colle_pvc", "Colle PVC",
               "tube 125 ml|pot 250 ml|pot 500 ml", ("Griffon", "Tangit", "Nicoll")),
            _t("collier_pvc", "Collier de fixation PVC",
               "Ø32 sachet de 10|Ø40 sachet de 10|Ø100 sachet de 5", _PVC, 2),
            _t("siphon", "Siphon de lavabo",
               "Ø32 sortie horizontale|Ø40 à culot démontable", ("Nicoll", "Wirquin")),
            _t("bonde", "Bonde de douche extra-plate", "Ø90|Ø60", ("Nicoll", "Wirquin")),
            _t("regard", "Regard de visite PVC", "30x30|40x40", _PVC),
        )),
        Gamme("Robinetterie", (
            _t("mitigeur_lavabo", "Mitigeur lavabo", "chromé|noir mat|bec haut chromé", _ROBINET, refs=3),
            _t("mitigeur_douche", "Mitigeur thermostatique douche",
               "chromé|avec barre de douche", _ROBINET, refs=3),
            _t("robinet_arret", "Robinet d'arrêt quart de tour", "15/21|20/27|12/17", _RACCORD, 2),
            _t("flexible", "Flexible d'alimentation inox",
               "15/21 300 mm|15/21 500 mm|12/17 350 mm", _RACCORD, 2),
            _t("teflon", "Ruban PTFE", "12 mm x 12 m|19 mm x 15 m", ("Geb", "Griffon", "Sarlon"), 3),
            _t("joints_fibre", "Joints fibre assortis", "coffret de 100|sachet de 20", ("Geb", "Sarlon")),
        )),
        Gamme("Sanitaire", (
            _t("bati_wc", "Bâti-support WC suspendu", "autoportant|mural", _WC),
            _t("cuvette", "Cuvette WC suspendue", "sans bride|compacte", _CERAM),
            _t("plaque_commande", "Plaque de commande WC double touche", "blanche|chromée|noire", _WC),
            _t("abattant", "Abattant WC frein de chute", "blanc|duroplast blanc", ("Olfa", "Jacob Delafon")),
            _t("pipe_wc", "Pipe WC", "coudée Ø100|droite Ø100|excentrée Ø90", ("Nicoll", "Wirquin")),
            _t("meuble_vasque", "Meuble sous-vasque avec vasque",
               "60 cm blanc|80 cm chêne|100 cm double vasque",
               ("Allibert", "Ambiance Bain", "Jacob Delafon"), refs=3),
            _t("receveur", "Receveur de douche extra-plat", "80x80|90x90|120x90|140x90", _CERAM, refs=2),
        )),
    )),
    Univers("ELECTRICITE", "Électricité", (
        Gamme("Câbles & fils", (
            _t("r2v", "Câble R2V",
               "3G2,5 couronne 50 m|3G1,5 couronne 50 m|3G6 couronne 50 m|5G2,5 couronne 50 m|"
               "3G1,5 couronne 100 m",
               _CABLE, 2),
            _t("fil_h07", "Fil H07V-U",
               "2,5 mm² bleu couronne 100 m|2,5 mm² rouge couronne 100 m|1,5 mm² bleu couronne 100 m|"
               "1,5 mm² rouge couronne 100 m|2,5 mm² vert-jaune couronne 100 m",
               _CABLE, 3),
            _t("prefile", "Gaine ICTA préfilée",
               "3G1,5 Ø16 couronne 100 m|3G2,5 Ø20 couronne 100 m|3G6 Ø25 couronne 50 m", _CABLE, 2),
        )),
        Gamme("Gaines & conduits", (
            _t("icta", "Gaine ICTA", "Ø20 couronne 100 m|Ø16 couronne 100 m|Ø25 couronne 50 m", _GAINE, 3),
            _t("tpc", "Gaine TPC rouge", "Ø40 couronne 25 m|Ø63 couronne 25 m|Ø90 couronne 25 m", _GAINE),
            _t("grillage_avert", "Grillage avertisseur rouge", "30 cm x 100 m|20 cm x 50 m", _GAINE),
            _t("moulure", "Moulure PVC blanche", "20x12 2 m|32x12 2 m|40x20 2 m", ("Legrand", "Iboco"), 6),
        )),
        Gamme("Appareillage", (
            _t("prise", "Prise de courant 2P+T",
               "blanche|anthracite|à griffes blanche", _APPAREIL, 6, refs=3),
            _t("interrupteur", "Interrupteur va-et-vient",
               "blanc|anthracite|double blanc", _APPAREIL, 4, refs=3),
            _t("dcl", "Boîte DCL plafond", "Ø67 avec douille|Ø67 sans douille", _APPAREIL, 4),
            _t("prise_etanche", "Prise étanche IP55 2P+T", "saillie grise|saillie blanche", _APPAREIL, 2),
            _t("boite_etanche", "Boîte de dérivation étanche IP55", "80x80|100x100|155x110", _APPAREIL, 3),
        )),
        Gamme("Boîtes & connexion", (
            _t("boite_cloison", "Boîte d'encastrement cloison sèche",
               "1 poste Ø67|2 postes entraxe 71|3 postes entraxe 71", _APPAREIL, 10),
            _t("boite_maconnerie", "Boîte d'encastrement maçonnerie",
               "1 poste Ø67|2 postes entraxe 71", _APPAREIL, 6),
            _t("wago", "Borne de connexion automatique",
               "2 entrées boîte de 100|3 entrées boîte de 100|5 entrées boîte de 50", ("Wago", "Legrand")),
        )),
        Gamme("Tableaux & protection", (
            _t("tableau", "Tableau électrique pré-équipé",
               "2 rangées 26 modules|1 rangée 13 modules|3 rangées 39 modules|4 rangées 52 modules",
               _APPAREIL),
            _t("disjoncteur", "Disjoncteur phase + neutre", "16 A|10 A|20 A|32 A", _APPAREIL, 6, refs=2),
            _t("inter_diff", "Interrupteur différentiel 30 mA",
               "40 A type AC|40 A type A|63 A type AC", _APPAREIL, 2),
            _t("peigne", "Peigne d'alimentation", "1 rangée 13 modules|1 rangée 18 modules", _APPAREIL, 2),
            _t("bornier", "Bornier de terre", "6 bornes|12 bornes", _APPAREIL),
        )),
        Gamme("Éclairage", (
            _t("spot_led", "Spot LED encastrable",
               "blanc fixe 5 W|orientable 6 W|IP65 7 W", _LUMIERE, 6, refs=3),
            _t("hublot", "Hublot LED extérieur", "rond 12 W|ovale 15 W", ("Sarlam", "Legrand", "Aric")),
            _t("reglette", "Réglette LED étanche", "120 cm 36 W|60 cm 18 W|150 cm 50 W", _LUMIERE, 2),
        )),
    )),
    Univers("GROS_OEUVRE", "Gros œuvre & maçonnerie", (
        Gamme("Ciments & liants", (
            _t("ciment", "Ciment CEM II/B 32,5 R", "35 kg|25 kg", _CIMENT, 10),
            _t("chaux", "Chaux hydraulique NHL 3,5", "35 kg|25 kg", ("Saint-Astier", "Lafarge", "Socli"), 4),
            _t("ciment_prompt", "Ciment prompt", "25 kg|5 kg", ("Vicat", "Calcia")),
            _t("mortier_pret", "Mortier prêt à gâcher", "35 kg|25 kg", _MORTIER, 6),
            _t("beton_pret", "Béton prêt à l'emploi", "sac 35 kg|sac 25 kg", _MORTIER, 10),
        )),
        Gamme("Granulats", (
            _t("sable", "Sable 0/4 lavé", "big bag 1 t|sac 35 kg", _GRANULAT, 3),
            _t("gravier", "Gravier 4/20 roulé", "big bag 1 t|sac 35 kg", _GRANULAT, 2),
            _t("grave", "Grave 0/31,5 concassée", "big bag 1 t|vrac la tonne", _GRANULAT, 3),
        )),
        Gamme("Blocs & briques", (
            _t("parpaing", "Bloc béton creux B40", "20x20x50|15x20x50|10x20x50", _BLOC, 120),
            _t("brique", "Brique creuse terre cuite",
               "20x20x50|15x20x50", ("Wienerberger", "Bouyer Leroux", "Terreal"), 100),
            _t("linteau", "Linteau béton précontraint",
               "1,20 m|1,50 m|2,00 m|2,50 m", ("Rector", "KP1", "Fabemi"), 3),
            _t("bloc_u", "Bloc U de chaînage", "20x20x50|15x20x50", _BLOC, 20),
        )),
        Gamme("Aciers & armatures", (
            _t("treillis", "Treillis soudé",
               "ST25C 2,40x6,00 m|ST10 2,40x3,60 m|ST40C 2,40x6,00 m", _ACIER, 6),
            _t("fer_ha", "Fer à béton HA",
               "Ø10 barre 6 m|Ø8 barre 6 m|Ø12 barre 6 m|Ø14 barre 6 m", _ACIER, 20),
            _t("chainage", "Armature de chaînage", "8x8 cm 6 m|10x10 cm 6 m|15x15 cm 6 m", _ACIER, 10),
            _t("cale_enrobage", "Cale d'enrobage béton",
               "25 mm sachet de 100|35 mm sachet de 100", _ACIER, 2),
        )),
        Gamme("Préparation & coffrage", (
            _t("polyane", "Film polyéthylène sous dalle",
               "150 µm 4 x 25 m|200 µm 6 x 25 m", ("Sika", "Soprema")),
            _t("planche_coffrage", "Planche de coffrage sapin", "27x200 mm 4 m|27x150 mm 4 m", _BOIS, 10),
            _t("huile_decoffrage", "Huile de décoffrage", "bidon 20 L|bidon 5 L", ("Sika", "Chryso")),
            _t("bande_peripherique", "Bande périphérique de désolidarisation",
               "5 mm x 50 m|8 mm x 25 m", ("Weber", "Sika"), 2),
        )),
        Gamme("Enduits de façade", (
            _t("monocouche", "Enduit monocouche",
               "blanc cassé 25 kg|ton pierre 25 kg|gris 25 kg", _MORTIER, 20, refs=2),
            _t("trame_fibre", "Trame de renfort fibre de verre", "1 x 50 m|1 x 25 m", _MORTIER),
            _t("baguette_angle", "Baguette d'angle PVC", "2,50 m|3 m", _MORTIER, 10),
            _t("hydrofuge", "Hydrofuge de masse", "bidon 5 L|bidon 1 L", ("Sika", "Weber")),
        )),
    )),
    Univers("CARRELAGE", "Carrelage", (
        Gamme("Carrelage sol & mur", (
            _t("carrelage_sol", "Carrelage sol grès cérame",
               "60x60 beige|30x60 gris|60x60 anthracite|45x45 blanc|20x120 effet bois", _CARREAU, 15, refs=8),
            _t("faience", "Faïence murale",
               "20x20 blanc brillant|25x40 blanc mat|30x60 gris clair|7,5x15 métro blanc",
               _CARREAU, 10, refs=8),
            _t("plinthe_carrelage", "Plinthe carrelage assortie",
               "8x60 beige|7x60 gris|7x45 blanc", _CARREAU, 8, refs=3),
        )),
        Gamme("Colles & mortiers-colles", (
            _t("colle_c2", "Colle carrelage C2 ET", "25 kg gris|25 kg blanc|15 kg gris", _COLLE, 6),
            _t("colle_c2s1", "Colle carrelage C2 S1 déformable", "25 kg gris|25 kg blanc", _COLLE, 6),
            _t("colle_pate", "Colle faïence pâte D2", "seau 15 kg|seau 25 kg|seau 5 kg", _COLLE, 3),
            _t("primaire", "Primaire d'accrochage", "bidon 5 L|bidon 1 L|bidon 20 L", _COLLE),
            _t("ragreage", "Ragréage autolissant P3", "25 kg|fibré 25 kg", _COLLE, 10),
        )),
        Gamme("Joints", (
            _t("joint_ciment", "Joint carrelage ciment",
               "gris 5 kg|blanc 5 kg|anthracite 5 kg|gris 25 kg", _COLLE, 2),
            _t("joint_epoxy", "Joint époxy", "gris 2,5 kg|blanc 2,5 kg", _COLLE),
            _t("silicone_sanit", "Mastic silicone sanitaire",
               "blanc 310 ml|translucide 310 ml|gris 310 ml", ("Sika", "Geb", "Rubson"), 3),
        )),
        Gamme("Accessoires de pose", (
            _t("croisillons", "Croisillons de carrelage",
               "2 mm sachet de 500|3 mm sachet de 250|5 mm sachet de 200", _POSE, 2),
            _t("profile_angle", "Profilé de finition aluminium",
               "angle 10 mm 2,50 m|angle 12,5 mm 2,50 m|quart de rond 10 mm 2,50 m", _PROFILE, 4),
            _t("nivellement", "Système de nivellement carrelage",
               "croisillons sachet de 200|cales sachet de 100", _POSE),
        )),
        Gamme("Étanchéité sous carrelage", (
            _t("spec", "Système d'étanchéité liquide SPEC", "kit 7 kg|kit 14 kg", _COLLE),
            _t("bande_etanch", "Bande d'étanchéité d'angle", "10 m|50 m", _COLLE),
            _t("receveur_carreler", "Receveur à carreler extra-plat",
               "90x90 évacuation centrée|120x90 évacuation linéaire|140x90 évacuation linéaire",
               ("Wedi", "Schlüter", "Kinedo")),
            _t("caniveau", "Caniveau de douche inox", "70 cm|80 cm|90 cm", ("Schlüter", "Wirquin", "Nicoll")),
        )),
    )),
    Univers("PEINTURE", "Peinture & droguerie", (
        Gamme("Peintures intérieures", (
            _t("peinture_mat", "Peinture acrylique mat blanc", "15 L|10 L|3 L", _PEINTURE, 2, refs=4),
            _t("peinture_velours", "Peinture acrylique velours",
               "blanc 15 L|blanc 3 L|teintée 3 L", _PEINTURE, 2, refs=4),
            _t("peinture_plafond", "Peinture plafond mat blanc", "15 L|10 L", _PEINTURE, 2, refs=2),
            _t("laque", "Laque satinée boiseries",
               "blanc 2,5 L|blanc 0,5 L|teintée 2,5 L", _PEINTURE, refs=4),
        )),
        Gamme("Impressions & sous-couches", (
            _t("sous_couche", "Sous-couche acrylique", "15 L|3 L", _PEINTURE, 2),
            _t("impression_bois", "Sous-couche bois microporeuse", "2,5 L|0,5 L", _PEINTURE),
            _t("fixateur", "Fixateur de fonds", "5 L|15 L", _PEINTURE),
        )),
        Gamme("Enduits de préparation", (
            _t("enduit_lissage", "Enduit de lissage", "poudre 25 kg|pâte 20 kg|pâte 5 kg", _ENDUIT, 2),
            _t("enduit_rebouchage", "Enduit de rebouchage", "poudre 5 kg|pâte 1 kg", _ENDUIT),
            _t("toile_verre", "Toile de verre à peindre",
               "maille fine 50 m²|maille moyenne 50 m²", ("Novelio", "Tassoglas"), 2),
            _t("colle_toile", "Colle toile de verre", "seau 10 kg|seau 25 kg", ("Novelio", "Toupret")),
        )),
        Gamme("Outils du peintre", (
            _t("rouleau", "Rouleau anti-goutte",
               "180 mm poils 12 mm|230 mm poils 12 mm|180 mm microfibre", _OUTIL_PEINTRE, 2),
            _t("rouleau_facade", "Rouleau façade", "180 mm poils 18 mm|230 mm poils 18 mm", _OUTIL_PEINTRE),
            _t("bac", "Bac à peinture avec grille", "30 cm|seau 15 L", _OUTIL_PEINTRE),
            _t("manche", "Manche télescopique", "1-2 m|2-4 m", _OUTIL_PEINTRE),
            _t("pinceau", "Pinceau plat", "50 mm|30 mm|70 mm", _OUTIL_PEINTRE, 2),
            _t("couteau_enduire", "Couteau à enduire inox", "10 cm|15 cm|25 cm", _OUTIL_PEINTRE),
            _t("abrasif", "Papier abrasif",
               "grain 120 rouleau 5 m|grain 180 rouleau 5 m|grain 80 boîte de 50",
               ("Norton", "Sia", "3M"), 2),
        )),
        Gamme("Protection de chantier", (
            _t("bache", "Bâche de protection", "4 x 5 m|4 x 10 m", _ADHESIF, 2),
            _t("ruban_masquage", "Ruban de masquage", "25 mm x 50 m|38 mm x 50 m|50 mm x 50 m", _ADHESIF, 3),
            _t("feutre", "Feutre de protection sol adhésif", "1 x 25 m|1 x 50 m", _ADHESIF),
        )),
        Gamme("Peintures extérieures", (
            _t("peinture_facade", "Peinture façade acrylique",
               "blanc 15 L|ton pierre 15 L", _PEINTURE, 3, refs=2),
            _t("lasure", "Lasure bois",
               "chêne clair 5 L|incolore 5 L|teck 1 L", ("Sikkens", "Blanchon", "V33"), refs=2),
        )),
    )),
    Univers("MENUISERIE", "Menuiserie & bois", (
        Gamme("Panneaux", (
            _t("osb", "Panneau OSB 3", "12 mm 2500x1250|9 mm 2500x1250|18 mm 2500x675 rainuré", _PANNEAU, 10),
            _t("contreplaque", "Contreplaqué peuplier",
               "10 mm 2500x1220|5 mm 2500x1220|15 mm 2500x1220", _PANNEAU, 4),
            _t("melamine", "Panneau mélaminé blanc",
               "19 mm 2800x2070|16 mm 2800x2070|18 mm tablette 2500x600", _PANNEAU, 4),
            _t("mdf", "Panneau MDF", "10 mm 2440x1220|16 mm 2440x1220", _PANNEAU, 3),
        )),
        Gamme("Bois de construction", (
            _t("chevron", "Chevron sapin traité", "63x75 mm 4 m|63x75 mm 5 m|75x100 mm 4 m", _BOIS, 15),
            _t("tasseau", "Tasseau sapin raboté",
               "27x40 mm 2,40 m|40x40 mm 2,40 m|21x27 mm 2,40 m", _BOIS, 20),
            _t("liteau", "Liteau sapin traité", "27x38 mm 4 m|18x38 mm 4 m", _BOIS, 40),
            _t("lambourde", "Lambourde pin classe 4", "45x70 mm 3 m|45x70 mm 4 m", _BOIS, 15),
        )),
        Gamme("Portes & blocs-portes", (
            _t("bloc_porte", "Bloc-porte intérieur âme alvéolaire",
               "83x204 gauche|73x204 gauche|83x204 droite|73x204 droite", _MENUIS, mdd=False),
            _t("bequille", "Ensemble béquille sur rosace",
               "clé L|condamnation|bec de cane", ("Vachette", "Bricard", "Hoppe")),
            _t("mousse_pu", "Mousse polyuréthane expansive",
               "pistolable 750 ml|manuelle 500 ml", ("Soudal", "Den Braven", "Sika"), 2),
        )),
        Gamme("Parquets & finitions", (
            _t("parquet", "Parquet stratifié",
               "chêne naturel 8 mm|chêne gris 8 mm|chêne clair 12 mm",
               ("Quick-Step", "Berry Alloc", "Egger"), 10, refs=5),
            _t("sous_couche_parquet", "Sous-couche parquet acoustique",
               "2 mm rouleau 15 m²|3 mm rouleau 10 m²", _PANNEAU, 3),
            _t("plinthe", "Plinthe MDF blanche", "70x10 mm 2,40 m|90x12 mm 2,40 m", _PANNEAU, 10),
            _t("barre_seuil", "Barre de seuil aluminium", "83 cm|93 cm", ("Dinac", "Proline")),
            _t("cales_dilatation", "Cales de dilatation parquet",
               "sachet de 30|sachet de 60", ("Quick-Step", "Dinac")),
        )),
        Gamme("Quincaillerie de menuiserie", (
            _t("charniere", "Charnière invisible à clipser", "110°|165°", _FERRURE, 4),
            _t("coulisse", "Coulisse à billes sortie totale", "450 mm|350 mm|500 mm", _FERRURE, 3),
            _t("equerre", "Équerre d'assemblage renforcée", "90x90x65|70x70x55", _CONNECTEUR, 10),
            _t("sabot", "Sabot de charpente", "75x100|63x175", _CONNECTEUR, 10),
        )),
        Gamme("Terrasse bois", (
            _t("lame_terrasse", "Lame de terrasse pin traité",
               "27x145 mm 2,40 m|27x145 mm 4,20 m|21x145 mm 3 m", _BOIS, 40),
            _t("plot", "Plot de terrasse réglable", "40-60 mm|60-90 mm|90-150 mm", _TERRASSE, 30),
            _t("vis_terrasse", "Vis terrasse inox A2", "5x50 boîte de 200|5x60 boîte de 200", _VIS, 2),
            _t("bande_bitume", "Bande bitumineuse pour lambourde",
               "80 mm x 10 m|100 mm x 10 m", _TERRASSE, 2),
        )),
    )),
    Univers("COUVERTURE", "Couverture & zinguerie", (
        Gamme("Tuiles & accessoires", (
            _t("tuile", "Tuile terre cuite", "romane rouge|plate 17x27 brun|mécanique flammée", _TUILE, 200),
            _t("faitiere", "Tuile faîtière", "rouge|brun", _TUILE, 15),
            _t("closoir", "Closoir ventilé", "rouleau 5 m|rouleau 10 m", ("Onduline", "Monier"), 2),
            _t("chatiere", "Chatière de ventilation", "romane rouge|plate brun", _TUILE, 4),
        )),
        Gamme("Écrans & membranes", (
            _t("ecran_hpv", "Écran sous-toiture HPV",
               "1,5 x 50 m|1,5 x 25 m", ("Delta", "Monier", "Siga"), 2),
        )),
        Gamme("Zinguerie", (
            _t("gouttiere", "Gouttière demi-ronde zinc", "développé 25 2 m|développé 33 4 m", _ZINC, 8),
            _t("crochet", "Crochet de gouttière", "développé 25|développé 33", _ZINC, 15),
            _t("naissance", "Naissance de descente", "Ø80|Ø100", _ZINC, 2),
            _t("descente", "Tuyau de descente zinc", "Ø80 2 m|Ø100 2 m", _ZINC, 4),
            _t("collier_descente", "Collier de descente", "Ø80|Ø100", _ZINC, 4),
            _t("soudure_etain", "Soudure étain zinguerie",
               "barre 40 % 250 g|fil 1 kg", ("Castolin", "Guilbert Express"), 2),
        )),
        Gamme("Étanchéité de toiture", (
            _t("membrane_epdm", "Membrane EPDM 1,14 mm",
               "3,05 x 15 m|6,10 x 15 m", ("Firestone", "Carlisle")),
            _t("colle_epdm", "Colle contact EPDM", "5 L|15 L", ("Firestone", "Carlisle")),
            _t("bande_alu", "Bande d'étanchéité alu autocollante", "15 cm x 10 m|30 cm x 10 m", _ETANCH, 2),
        )),
        Gamme("Fenêtres de toit", (
            _t("fenetre_toit", "Fenêtre de toit à rotation", "78x98|55x78|78x118|114x118", _TOIT, mdd=False),
            _t("raccord_fenetre", "Raccord d'étanchéité pour tuiles",
               "78x98|55x78|78x118|114x118", _TOIT, mdd=False),
            _t("store", "Store occultant fenêtre de toit", "78x98|55x78|78x118", _TOIT, mdd=False),
        )),
    )),
    Univers("CHAUFFAGE", "Chauffage & ventilation", (
        Gamme("Radiateurs", (
            _t("radiateur", "Radiateur acier à panneaux",
               "type 22 600x1000|type 21 600x800|type 22 600x1200|type 11 600x600", _RADIATEUR, 2),
            _t("radiateur_elec", "Radiateur électrique à inertie",
               "1500 W|1000 W|2000 W", ("Atlantic", "Thermor", "Noirot")),
            _t("robinet_thermo", "Corps de robinet thermostatisable équerre", "15/21|12/17", _RACCORD, 2),
            _t("tete_thermo", "Tête thermostatique",
               "standard|connectée", ("Danfoss", "Comap", "Oventrop"), 2),
            _t("te_reglage", "Té de réglage équerre", "15/21|12/17", _RACCORD, 2),
            _t("console", "Kit de fixation radiateur", "consoles à visser|consoles à sceller", _RADIATEUR),
        )),
        Gamme("Chaudières & pompes à chaleur", (
            _t("chaudiere", "Chaudière gaz à condensation", "25 kW|30 kW|35 kW mixte", _CHAUDIERE, mdd=False),
            _t("pac", "Pompe à chaleur air/eau", "8 kW|11 kW|16 kW", _PAC, mdd=False),
            _t("ventouse", "Kit ventouse horizontale", "Ø60/100|Ø80/125", _CHAUDIERE, mdd=False),
            _t("vase_expansion", "Vase d'expansion chauffage", "12 L|8 L|18 L", _HYDRAU),
            _t("filtre_boue", "Filtre désemboueur magnétique", "20/27|26/34", ("Fernox", "Sentinel")),
            _t("desembouant", "Désembouant circuit de chauffage", "1 L|500 ml", ("Fernox", "Sentinel")),
            _t("liaison_frigo", "Liaison frigorifique cuivre isolé",
               "1/4-1/2 15 m|1/4-3/8 10 m|3/8-5/8 20 m", ("KME", "Mueller")),
            _t("support_pac", "Support mural pour unité extérieure", "450 mm|550 mm", _PAC),
            _t("ballon_tampon", "Ballon tampon", "50 L|100 L", _PAC),
        )),
        Gamme("Plancher chauffant", (
            _t("panneau_plots", "Panneau isolant à plots",
               "30 mm|50 mm", ("Rehau", "Uponor", "Thermacome"), 20),
            _t("per_plancher", "Tube PER plancher chauffant",
               "16 mm couronne 240 m|16 mm couronne 120 m|20 mm couronne 240 m", _PER, 2),
            _t("collecteur_plancher", "Collecteur plancher chauffant", "6 départs|4 départs|8 départs", _PER),
        )),
        Gamme("Ventilation", (
            _t("vmc", "Caisson VMC simple flux",
               "hygroréglable type B|hygroréglable type A|autoréglable", _VMC),
            _t("bouche", "Bouche d'extraction", "cuisine Ø125|salle de bain Ø80|WC Ø80", _VMC, 3),
            _t("gaine_souple", "Gaine souple isolée", "Ø80 6 m|Ø125 6 m|Ø160 6 m", _VMC, 3),
            _t("manchon_vmc", "Manchon de raccordement VMC", "Ø80|Ø125", _VMC, 2),
            _t("adhesif_alu", "Adhésif aluminium", "50 mm x 50 m|75 mm x 50 m", _ADHESIF, 2),
            _t("sortie_toit", "Sortie de toit VMC", "tuile rouge Ø125|ardoise Ø160", _VMC),
        )),
        Gamme("Régulation", (
            _t("thermostat", "Thermostat d'ambiance programmable", "filaire|radio|connecté", _REGUL),
        )),
    )),
    Univers("EXTERIEUR", "Aménagement extérieur", (
        Gamme("Pavés, bordures & dalles", (
            _t("pave", "Pavé béton autobloquant",
               "gris 20x10x6 palette 10 m²|ocre 20x10x6 palette 10 m²|gris 16x16x8 palette 9 m²", _BLOC, 2),
            _t("bordure", "Bordure béton", "P1 100x20x6|T2 100x25x12|jardin arrondie 50 cm", _BLOC, 20),
            _t("dalle", "Dalle de terrasse grès cérame 20 mm",
               "60x60 gris|60x60 beige|40x120 effet bois", _CARREAU, 20, refs=4),
            _t("geotextile", "Géotextile anti-contaminant", "2 x 25 m|4 x 25 m", ("Dupont", "Fiberweb")),
        )),
        Gamme("Clôtures", (
            _t("panneau_rigide", "Panneau de clôture rigide",
               "1,53 x 2,50 m vert|1,23 x 2,50 m vert|1,73 x 2,50 m anthracite", _CLOTURE, 10),
            _t("poteau", "Poteau de clôture à encoches",
               "1,80 m vert|1,50 m vert|2,00 m anthracite", _CLOTURE, 11),
            _t("fixation_cloture", "Attache de fixation clôture",
               "sachet de 10 vert|sachet de 10 anthracite", _CLOTURE, 3),
            _t("grillage", "Grillage soudé", "1,00 x 25 m vert|1,50 x 25 m vert", _CLOTURE, 2),
        )),
        Gamme("Arrosage & drainage", (
            _t("tube_pe", "Tube polyéthylène PE",
               "Ø25 couronne 50 m|Ø20 couronne 50 m|Ø32 couronne 25 m", _ARROSAGE, 2),
            _t("raccord_pe", "Raccord compression PE", "té Ø25|coude Ø25|manchon Ø25|té Ø20", _ARROSAGE, 6),
            _t("tuyere", "Tuyère d'arrosage escamotable", "10 cm buse réglable|5 cm buse fixe", _ARROSAGE, 8),
            _t("programmateur", "Programmateur d'arrosage", "4 zones|6 zones|à piles 1 voie", _ARROSAGE),
            _t("electrovanne", "Électrovanne 24 V", "26/34|20/27", _ARROSAGE, 3),
            _t("drain", "Drain agricole PVC", "Ø100 couronne 50 m|Ø80 couronne 50 m", _PVC),
        )),
        Gamme("Jardin & végétaux", (
            _t("terre", "Terre végétale", "big bag 1 m³|sac 40 L", _JARDIN, 2),
            _t("terreau", "Terreau plantation", "sac 50 L|sac 70 L", _JARDIN, 6),
            _t("paillage", "Paillage écorces de pin", "sac 50 L|big bag 1 m³", _JARDIN, 6),
            _t("toile_paillage", "Toile de paillage tissée", "1 x 25 m|2 x 25 m", _JARDIN),
            _t("agrafe", "Agrafes de fixation toile", "sachet de 50|sachet de 100", _JARDIN, 2),
            _t("bordure_acier", "Bordure acier galvanisé",
               "15 cm x 1 m|10 cm x 1 m", ("Everedge", "Botanic Pro"), 8),
        )),
    )),
    Univers("OUTILLAGE", "Outillage", (
        Gamme("Outillage à main", (
            _t("cutter", "Cutter lame sécable", "18 mm|25 mm", ("Stanley", "Olfa", "Facom")),
            _t("marteau", "Marteau de coffreur", "600 g|800 g", _OUTIL),
            _t("tournevis", "Jeu de tournevis isolés 1000 V",
               "5 pièces|7 pièces", ("Facom", "Wera", "Stanley")),
            _t("pince", "Pince coupante diagonale", "160 mm|180 mm", ("Facom", "Knipex", "Bahco")),
            _t("scie_plaquiste", "Scie égoïne plaquiste", "350 mm|550 mm", _OUTIL),
        )),
        Gamme("Outillage du maçon et du carreleur", (
            _t("truelle", "Truelle de maçon", "bout rond 20 cm|langue de chat 18 cm", _OUTIL_MACON),
            _t("spatule_crantee", "Spatule crantée", "dents 8 mm|dents 6 mm|dents 10 mm", _OUTIL_MACON),
            _t("auge", "Auge de maçon", "40 L|90 L", _OUTIL_MACON),
            _t("regle_alu", "Règle de maçon aluminium", "2 m|3 m", _OUTIL_MACON),
        )),
        Gamme("Mesure & traçage", (
            _t("metre", "Mètre ruban", "5 m|8 m", _MESURE),
            _t("niveau", "Niveau à bulle aluminium", "60 cm|120 cm|200 cm", _MESURE),
            _t("cordeau", "Cordeau traceur", "30 m|15 m", _MESURE),
            _t("crayon", "Crayon de charpentier", "boîte de 12|à l'unité", _MESURE),
        )),
        Gamme("Électroportatif", (
            _t("visseuse", "Perceuse-visseuse sans fil 18 V",
               "2 batteries 5 Ah|2 batteries 2 Ah|machine nue", _ELECTRO, mdd=False),
            _t("perforateur", "Perforateur SDS-Plus", "800 W|18 V sans fil", _ELECTRO, mdd=False),
            _t("meuleuse", "Meuleuse d'angle", "125 mm 1200 W|230 mm 2200 W", _ELECTRO, mdd=False),
            _t("malaxeur", "Malaxeur électrique", "1400 W|1800 W double hélice", _ELECTRO, mdd=False),
            _t("visseuse_placo", "Visseuse plaquiste à chargeur 18 V",
               "machine nue|2 batteries 5 Ah", _ELECTRO, mdd=False),
        )),
        Gamme("Consommables", (
            _t("foret_beton", "Foret béton SDS-Plus", "6x110 mm|8x160 mm|10x160 mm", _CONSO, 2),
            _t("coffret_forets", "Coffret de forets métal HSS", "19 pièces|25 pièces", _CONSO),
            _t("disque_diamant", "Disque diamant", "125 mm|230 mm", _CONSO),
            _t("lames_scie", "Lames de scie sauteuse bois", "lot de 5|lot de 10", _CONSO),
            _t("embouts", "Embouts de vissage PH2", "boîte de 25|lot de 10", ("Wera", "Bosch", "Facom")),
        )),
    )),
    Univers("QUINCAILLERIE", "Quincaillerie & fixation", (
        Gamme("Vis", (
            _t("vis_ttpc", "Vis TTPC",
               "25 mm boîte de 1000|35 mm boîte de 1000|45 mm boîte de 500|25 mm en bande de 1000", _VIS, 2),
            _t("vis_bois", "Vis bois tête fraisée",
               "5x50 boîte de 200|4x40 boîte de 200|6x80 boîte de 100", _VIS, 2),
            _t("vis_agglo", "Vis aggloméré zinguée",
               "4x30 boîte de 500|3,5x25 boîte de 500|5x60 boîte de 200", _VIS, 2),
        )),
        Gamme("Chevilles & ancrages", (
            _t("cheville_nylon", "Cheville nylon universelle",
               "6 mm boîte de 100|8 mm boîte de 100|10 mm boîte de 50", _CHEVILLE, 2),
            _t("cheville_molly", "Cheville métallique à expansion",
               "6x52 boîte de 50|8x65 boîte de 50", _CHEVILLE),
            _t("cheville_frappe", "Cheville à frapper", "6x40 boîte de 100|8x60 boîte de 100", _CHEVILLE),
            _t("goujon", "Goujon d'ancrage", "M8x75 boîte de 50|M10x90 boîte de 50", _CHEVILLE),
            _t("collier_serrage", "Collier de serrage nylon",
               "200 mm sachet de 100|300 mm sachet de 100", ("Legrand", "Hellermann")),
        )),
        Gamme("Pointes", (
            _t("pointe", "Pointes tête plate galvanisées",
               "2,5x50 boîte 5 kg|3,1x70 boîte 5 kg|2x40 boîte 1 kg", _POINTE),
        )),
        Gamme("Colles & mastics", (
            _t("mastic_ms", "Mastic colle MS polymère",
               "blanc 290 ml|gris 290 ml|transparent 290 ml", _MASTIC, 3),
            _t("mastic_acryl", "Mastic acrylique peintre", "blanc 310 ml|gris 310 ml", _MASTIC, 3),
            _t("colle_neoprene", "Colle néoprène", "gel 1 L|liquide 5 L", _MASTIC),
            _t("adhesif_toile", "Adhésif toilé gris", "50 mm x 50 m|50 mm x 25 m", _ADHESIF, 2),
        )),
    )),
    Univers("EPI", "EPI & vêtements de travail", (
        Gamme("Gants", (
            _t("gants_nitrile", "Gants de manutention enduits nitrile",
               "taille 9|taille 10|taille 8", _EPI, 3),
            _t("gants_coupure", "Gants anti-coupure niveau C", "taille 9|taille 10", _EPI, 2),
        )),
        Gamme("Protection de la tête", (
            _t("lunettes", "Lunettes de protection", "incolores|teintées", ("Delta Plus", "3M", "Uvex")),
            _t("masque", "Masque FFP2", "boîte de 20|boîte de 10", ("Delta Plus", "3M")),
            _t("bouchons", "Bouchons d'oreilles",
               "boîte de 200 paires|distributeur de 500", ("3M", "Moldex")),
            _t("casque", "Casque de chantier", "blanc|jaune", _EPI),
        )),
        Gamme("Vêtements & chaussures", (
            _t("chaussures", "Chaussures de sécurité S3",
               "pointure 42|pointure 43|pointure 41|pointure 44|pointure 45", _VETEMENT, refs=2),
            _t("pantalon", "Pantalon de travail multipoches",
               "taille 42|taille 40|taille 44|taille 46", _VETEMENT, refs=2),
            _t("genouilleres", "Genouillères de protection", "mousse|gel", _EPI),
            _t("gilet", "Gilet haute visibilité", "jaune|orange", _EPI),
        )),
    )),
)
# fmt: on

TEMPLATES: tuple[Template, ...] = tuple(t for u in UNIVERS for g in u.gammes for t in g.templates)

# Shares, activity and seasonality read from the trade: masons and plumbers are the bulk of a
# négoce's counter, private customers are many but rarely come back, landscapers buy in spring,
# heating engineers before winter, everyone stops in August.
_SPRING = (0.5, 0.6, 1.2, 1.6, 1.6, 1.4, 1.1, 0.7, 1.0, 0.9, 0.7, 0.5)
_AUTUMN = (1.0, 0.9, 0.8, 0.7, 0.7, 0.7, 0.8, 0.8, 1.3, 1.5, 1.4, 1.2)
_SUMMER = (0.7, 0.7, 0.9, 1.1, 1.2, 1.3, 1.3, 1.0, 1.1, 1.0, 0.8, 0.7)

PROFESSION_TABLE: tuple[Profession, ...] = (
    Profession("PLAQUISTE", 0.10, 1.0, 1.0, ("PLATRERIE", "PEINTURE")),
    Profession("PLOMBIER", 0.11, 1.0, 1.0, ("PLOMBERIE", "CHAUFFAGE")),
    Profession("ELECTRICIEN", 0.11, 1.0, 1.0, ("ELECTRICITE",)),
    Profession("MACON", 0.15, 1.1, 1.3, ("GROS_OEUVRE", "EXTERIEUR"), _SUMMER),
    Profession("CARRELEUR", 0.06, 1.0, 1.0, ("CARRELAGE",)),
    Profession("PEINTRE", 0.08, 1.0, 1.0, ("PEINTURE",)),
    Profession("MENUISIER", 0.06, 0.9, 1.0, ("MENUISERIE",)),
    Profession("COUVREUR", 0.04, 0.9, 1.0, ("COUVERTURE",), _SUMMER),
    Profession("CHAUFFAGISTE", 0.04, 1.0, 1.0, ("CHAUFFAGE", "PLOMBERIE"), _AUTUMN),
    Profession("PAYSAGISTE", 0.03, 1.0, 1.0, ("EXTERIEUR",), _SPRING),
    Profession("MULTISERVICES", 0.10, 0.8, 0.7, ("PLOMBERIE", "ELECTRICITE", "PEINTURE", "PLATRERIE")),
    Profession("PARTICULIER", 0.12, 0.25, 0.4, ("PEINTURE", "EXTERIEUR", "MENUISERIE"), _SPRING),
)
PROFESSIONS: tuple[str, ...] = tuple(p.code for p in PROFESSION_TABLE)
UNIVERSAL_UNIVERS: tuple[str, ...] = ("OUTILLAGE", "QUINCAILLERIE", "EPI")  # every trade buys there

# fmt: off
RECIPES: tuple[Recipe, ...] = (
    # PLAQUISTE
    Recipe("cloison-ba13", "Cloison BA13 sur ossature", ("PLAQUISTE", "MULTISERVICES"),
           ("ba13", "rail_r48", "montant_m48", "vis_ttpc", "bande_joint", "enduit_prise", "laine_cloison")),
    Recipe("cloison-hydro", "Cloison de pièce humide", ("PLAQUISTE",),
           ("ba13_hydro", "rail_r70", "montant_m70", "vis_ttpc", "bande_armee", "enduit_sechage")),
    Recipe("cloison-feu", "Cloison coupe-feu", ("PLAQUISTE",),
           ("ba13_feu", "rail_r70", "montant_m70", "laine_cloison", "vis_ttpc", "enduit_prise")),
    Recipe("doublage-colle", "Doublage collé isolant", ("PLAQUISTE",),
           ("doublage", "map", "bande_joint", "enduit_pret", "scie_plaquiste")),
    Recipe("plafond-fourrures", "Plafond sur fourrures", ("PLAQUISTE",),
           ("ba13_phonique", "fourrure", "suspente", "corniere", "vis_ttpc", "gr32")),
    Recipe("isolation-combles", "Isolation des combles perdus", ("PLAQUISTE",),
           ("laine_souffler", "pare_vapeur", "adhesif_pv", "masque", "lunettes")),
    # PLOMBIER
    Recipe("alimentation-per", "Alimentation eau en PER", ("PLOMBIER",),
           ("per_gaine", "raccord_per", "collecteur", "coude_applique", "robinet_arret", "teflon")),
    Recipe("distribution-multicouche", "Distribution en multicouche", ("PLOMBIER",),
           ("multicouche", "raccord_mc", "collecteur", "robinet_arret", "collier_serrage")),
    Recipe("evacuation-pvc", "Évacuation PVC", ("PLOMBIER",),
           ("tube_pvc", "coude_pvc", "manchon_pvc", "colle_pvc", "collier_pvc")),
    Recipe("wc-suspendu", "Pose de WC suspendu", ("PLOMBIER",),
           ("bati_wc", "cuvette", "plaque_commande", "abattant", "pipe_wc", "goujon")),
    Recipe("meuble-vasque", "Pose de meuble vasque", ("PLOMBIER",),
           ("meuble_vasque", "mitigeur_lavabo", "siphon", "flexible", "silicone_sanit", "cheville_nylon")),
    Recipe("douche", "Installation de douche", ("PLOMBIER",),
           ("receveur", "mitigeur_douche", "bonde", "silicone_sanit", "tube_pvc")),
    Recipe("reseau-cuivre", "Réseau cuivre brasé", ("PLOMBIER",),
           ("tube_cuivre", "coude_cuivre", "te_cuivre", "brasure", "decapant")),
    # ELECTRICIEN
    Recipe("circuit-prises", "Circuit prises de courant", ("ELECTRICIEN", "MULTISERVICES"),
           ("icta", "fil_h07", "boite_cloison", "prise", "disjoncteur", "wago")),
    Recipe("tableau", "Tableau électrique", ("ELECTRICIEN",),
           ("tableau", "disjoncteur", "inter_diff", "peigne", "bornier", "fil_h07")),
    Recipe("eclairage-encastre", "Éclairage encastré", ("ELECTRICIEN",),
           ("prefile", "spot_led", "interrupteur", "boite_cloison", "wago")),
    Recipe("alimentation-exterieure", "Alimentation extérieure enterrée", ("ELECTRICIEN",),
           ("r2v", "tpc", "grillage_avert", "boite_etanche", "prise_etanche", "hublot")),
    Recipe("renovation-apparente", "Rénovation électrique en apparent", ("ELECTRICIEN",),
           ("moulure", "dcl", "interrupteur", "boite_maconnerie", "cheville_nylon")),
    Recipe("local-technique", "Éclairage de local technique", ("ELECTRICIEN",),
           ("reglette", "r2v", "boite_etanche", "collier_serrage")),
    # MACON
    Recipe("dalle-beton", "Dalle béton armé", ("MACON",),
           ("ciment", "sable", "gravier", "treillis", "polyane", "cale_enrobage")),
    Recipe("mur-blocs", "Mur en blocs béton", ("MACON",),
           ("parpaing", "ciment", "sable", "chainage", "bloc_u", "linteau")),
    Recipe("fondations", "Semelles de fondation", ("MACON",),
           ("fer_ha", "planche_coffrage", "huile_decoffrage", "cale_enrobage", "beton_pret")),
    Recipe("mur-briques", "Maçonnerie de briques", ("MACON",),
           ("brique", "mortier_pret", "linteau", "chainage", "truelle")),
    Recipe("enduit-facade", "Enduit de façade", ("MACON",),
           ("monocouche", "trame_fibre", "baguette_angle", "hydrofuge", "bache")),
    Recipe("scellements", "Petite maçonnerie et scellements", ("MACON",),
           ("ciment_prompt", "chaux", "auge", "truelle", "goujon")),
    # CARRELEUR
    Recipe("carrelage-sol", "Pose de carrelage au sol", ("CARRELEUR",),
           ("carrelage_sol", "colle_c2", "joint_ciment", "croisillons", "spatule_crantee",
            "plinthe_carrelage")),
    Recipe("faience", "Pose de faïence murale", ("CARRELEUR", "MULTISERVICES"),
           ("faience", "colle_pate", "joint_ciment", "croisillons", "profile_angle", "silicone_sanit")),
    Recipe("douche-italienne", "Douche à l'italienne", ("CARRELEUR",),
           ("receveur_carreler", "spec", "bande_etanch", "colle_c2s1", "joint_epoxy", "caniveau")),
    Recipe("ragreage", "Ragréage et préparation de sol", ("CARRELEUR",),
           ("ragreage", "primaire", "bande_peripherique", "malaxeur", "auge")),
    Recipe("grand-format", "Carrelage grand format", ("CARRELEUR",),
           ("carrelage_sol", "colle_c2s1", "nivellement", "joint_ciment", "disque_diamant")),
    # PEINTRE
    Recipe("peinture-murs", "Peinture murs et plafonds", ("PEINTRE", "PARTICULIER"),
           ("peinture_mat", "sous_couche", "rouleau", "bac", "ruban_masquage", "bache")),
    Recipe("preparation-fonds", "Préparation des fonds", ("PEINTRE", "MULTISERVICES"),
           ("enduit_lissage", "enduit_rebouchage", "couteau_enduire", "abrasif", "fixateur")),
    Recipe("boiseries", "Laque des boiseries", ("PEINTRE",),
           ("laque", "impression_bois", "pinceau", "abrasif", "mastic_acryl")),
    Recipe("toile-de-verre", "Pose de toile de verre", ("PEINTRE",),
           ("toile_verre", "colle_toile", "peinture_velours", "rouleau", "cutter")),
    Recipe("facade", "Peinture de façade", ("PEINTRE",),
           ("peinture_facade", "rouleau_facade", "bache", "adhesif_toile", "fixateur")),
    Recipe("plafonds", "Peinture de plafonds", ("PEINTRE",),
           ("peinture_plafond", "sous_couche", "rouleau", "manche", "feutre")),
    # MENUISIER
    Recipe("bloc-porte", "Pose de bloc-porte", ("MENUISIER",),
           ("bloc_porte", "bequille", "mousse_pu", "vis_bois", "mastic_acryl")),
    Recipe("parquet-flottant", "Pose de parquet flottant", ("MENUISIER", "PARTICULIER"),
           ("parquet", "sous_couche_parquet", "plinthe", "barre_seuil", "cales_dilatation")),
    Recipe("terrasse-bois", "Terrasse bois sur lambourdes", ("MENUISIER", "PAYSAGISTE"),
           ("lame_terrasse", "lambourde", "plot", "vis_terrasse", "bande_bitume", "geotextile")),
    Recipe("placard", "Agencement de placard", ("MENUISIER",),
           ("melamine", "charniere", "coulisse", "vis_agglo")),
    Recipe("ossature-bois", "Ossature et charpente légère", ("MENUISIER",),
           ("chevron", "osb", "equerre", "sabot", "vis_bois", "pointe")),
    Recipe("habillage", "Habillage en contreplaqué", ("MENUISIER",),
           ("contreplaque", "tasseau", "vis_agglo", "cheville_frappe", "colle_neoprene")),
    # COUVREUR
    Recipe("couverture-tuiles", "Réfection de couverture en tuiles", ("COUVREUR",),
           ("tuile", "faitiere", "closoir", "ecran_hpv", "liteau", "pointe")),
    Recipe("gouttieres", "Pose de gouttières zinc", ("COUVREUR",),
           ("gouttiere", "crochet", "naissance", "descente", "collier_descente", "soudure_etain")),
    Recipe("fenetre-de-toit", "Pose de fenêtre de toit", ("COUVREUR",),
           ("fenetre_toit", "raccord_fenetre", "store", "pare_vapeur", "adhesif_pv")),
    Recipe("toit-terrasse", "Étanchéité de toit terrasse EPDM", ("COUVREUR",),
           ("membrane_epdm", "colle_epdm", "bande_alu", "osb")),
    Recipe("ventilation-toiture", "Ventilation de toiture", ("COUVREUR",),
           ("chatiere", "closoir", "ecran_hpv", "gants_coupure")),
    # CHAUFFAGISTE
    Recipe("radiateurs", "Pose de radiateurs", ("CHAUFFAGISTE", "PLOMBIER"),
           ("radiateur", "robinet_thermo", "tete_thermo", "te_reglage", "console", "multicouche")),
    Recipe("chaudiere", "Remplacement de chaudière gaz", ("CHAUFFAGISTE",),
           ("chaudiere", "ventouse", "vase_expansion", "filtre_boue", "desembouant", "thermostat")),
    Recipe("pompe-a-chaleur", "Installation de pompe à chaleur", ("CHAUFFAGISTE",),
           ("pac", "liaison_frigo", "support_pac", "ballon_tampon", "goujon")),
    Recipe("vmc", "VMC simple flux", ("CHAUFFAGISTE",),
           ("vmc", "bouche", "gaine_souple", "manchon_vmc", "adhesif_alu", "sortie_toit")),
    Recipe("plancher-chauffant", "Plancher chauffant hydraulique", ("CHAUFFAGISTE",),
           ("panneau_plots", "per_plancher", "collecteur_plancher", "bande_peripherique")),
    Recipe("chauffage-electrique", "Chauffage électrique", ("CHAUFFAGISTE",),
           ("radiateur_elec", "prefile", "boite_maconnerie", "disjoncteur")),
    # PAYSAGISTE
    Recipe("cloture-rigide", "Clôture rigide", ("PAYSAGISTE",),
           ("panneau_rigide", "poteau", "fixation_cloture", "beton_pret", "cordeau")),
    Recipe("allee-pavee", "Allée en pavés", ("PAYSAGISTE",),
           ("pave", "bordure", "sable", "geotextile", "grave")),
    Recipe("arrosage", "Arrosage automatique", ("PAYSAGISTE",),
           ("tube_pe", "raccord_pe", "tuyere", "programmateur", "electrovanne")),
    Recipe("terrasse-plots", "Terrasse en dalles sur plots", ("PAYSAGISTE", "PARTICULIER"),
           ("dalle", "plot", "geotextile", "disque_diamant", "gravier")),
    Recipe("massif", "Création de massif", ("PAYSAGISTE",),
           ("terre", "terreau", "paillage", "toile_paillage", "agrafe", "bordure_acier")),
    Recipe("drainage", "Drainage périphérique", ("PAYSAGISTE",),
           ("drain", "gravier", "geotextile", "regard")),
    # MULTISERVICES
    Recipe("depannage-plomberie", "Petit dépannage plomberie", ("MULTISERVICES",),
           ("robinet_arret", "flexible", "teflon", "silicone_sanit", "joints_fibre")),
    Recipe("fixations", "Fixations et petits travaux", ("MULTISERVICES",),
           ("cheville_nylon", "vis_bois", "foret_beton", "mastic_ms", "embouts")),
    Recipe("depannage-electricite", "Petit dépannage électrique", ("MULTISERVICES",),
           ("prise", "interrupteur", "wago", "moulure", "tournevis")),
    # PARTICULIER
    Recipe("etageres", "Étagères murales", ("PARTICULIER",),
           ("melamine", "cheville_molly", "vis_agglo", "niveau", "metre")),
    Recipe("jardin", "Entretien du jardin", ("PARTICULIER",),
           ("terreau", "paillage", "gants_nitrile", "agrafe")),
)
# fmt: on
