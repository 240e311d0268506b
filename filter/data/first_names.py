#!/usr/bin/env python3
"""Builds filter/data/first_names.txt, the list of given names the free-text
pass (filter/src/prose.rs) uses to recognise names written without a cue.

    pip install --target /tmp/fn names==0.3.0 faker==40.63.0
    PYTHONPATH=/tmp/fn python3 filter/data/first_names.py > filter/data/first_names.txt

Sources (both licences allow redistribution in this Apache-2.0 project):
- US Census Bureau, 1990 census, "Frequently Occurring First Names"
  (dist.male.first: all 1,219; dist.female.first: the names that cover 85 %
  of women), public domain (a work of the US government), as shipped in the
  `names` package 0.3.0 (MIT).
- Faker 40.63.0 (MIT licence, (c) Daniele Faraglia and contributors), the
  given names of its de_DE, fr_FR, es_ES, it_IT, nl_NL, pl_PL, pt_PT and
  en_GB person providers.

Names of fewer than three letters are left out. A name that is also a common
word (`will`, `may`, `mark`, `rose`, `grace`), a place (`Florence`,
`Jordan`, `Austin`) or a product (`Alexa`, `Julia`, `Ruby`) is marked with a
trailing `*` (the list AMBIGUOUS below, written by hand, plus the given names
that are a country, state, region or city in Faker's address providers, except
the census' 200 most frequent male and female names): the free-text pass does
not take such a word for a name on its own, only after a cue (`Dear`, `Mr`).
"""
import importlib
import os

import names  # the package ships the census files

# common words, places and products that are also given names (lowercase)
AMBIGUOUS = set("""
will may mark bill jack frank grace rose hope joy faith sue pat rob bob guy ray dawn summer art amber crystal holly
ivy lily daisy iris violet ruby pearl jade ginger olive rusty sandy buddy chip chuck dale dean drew gene glen hunter
jay jewel june april august autumn king lane major miles page penny price reed rich rocky royal sterling stone storm
tanner wade ward win young early forest river sky star sunny trinity unique destiny harmony heaven honey precious
patience prudence charity mercy misty melody journey justice liberty christian don cliff clay colt dusty earl ernest
fay gay gale hazel heather lance lucky max mason mercedes nick norm opal peace porter sage scarlett taylor tucker
walker wolf angel baby bell belle bunny candy cherry coral gem goldie ivory laurel poppy raven robin rosemary sable
scarlet shadow skye spring tiffany topaz velvet willow winter china asia india paris london florence georgia
virginia carolina dakota austin dallas houston phoenix denver sydney adelaide regina victoria charlotte savannah
madison jordan lincoln washington jackson florida sierra nevada kent chester york orlando marion camden brooklyn
aurora athena cassandra alexa julia ada pascal hugo jasper django lorenzo marina carmen mercedes dolores
pilar rosario consuelo amparo victoria sol luz paz blanca rosa flor nieves aurora esperanza gloria angeles
fidel franco bruno bella dante luna stella serena vera fortuna rocco santo maestro chanel cartier dior
lancia fiat seat skoda tesla porsche ford morgan bentley austin mini smart opel alfa romeo cooper sprite
fanta sunny ruby rusty autumn meadow prairie canyon river ocean rain sunshine hailey miracle
ember nova orion apollo atlas titan zeus venus jupiter mars saturn luna stormy santa san saint sankt santo
prince princess king duke earl baron lord lady queen rey reina
raleigh chelsea santiago geneva columbus cleveland tyler lafayette irving beaumont elgin chandler frisco mesa
german english french british american tacoma tulsa memphis nashville boston salem dover troy sherman sheridan sydney kingston hamilton wellington
""".split())
# places from Faker's address providers (the same package): a given name that
# is also a country, region or city is marked too, unless it is among the 200
# most frequent given names of the 1990 census (`Charlotte` stays a name)
PLACE_ATTRS = ["countries", "states", "cities", "counties", "regions", "departments"]
PLACE_LOCALES = ["en_US", "en_GB", "de_DE", "fr_FR", "es_ES", "it_IT", "nl_NL", "pl_PL", "pt_PT"]
LOCALES = ["de_DE", "fr_FR", "es_ES", "it_IT", "nl_NL", "pl_PL", "pt_PT", "en_GB"]


def census(path, cover):
    out = []
    with open(path) as f:
        for line in f:
            name, _freq, cum, _rank = line.split()
            if float(cum) > cover:
                break
            out.append(name.capitalize())
    return out


def main():
    base = os.path.dirname(names.__file__)
    got = set(census(os.path.join(base, "dist.male.first"), 100.0))
    got |= set(census(os.path.join(base, "dist.female.first"), 85.0))
    for loc in LOCALES:
        p = importlib.import_module(f"faker.providers.person.{loc}").Provider
        got |= {n for n in p.first_names if " " not in n}
    common = set(census(os.path.join(base, "dist.male.first"), 100.0)[:200])
    common |= set(census(os.path.join(base, "dist.female.first"), 100.0)[:200])
    places = set()
    for loc in PLACE_LOCALES:
        p = importlib.import_module(f"faker.providers.address.{loc}").Provider
        for a in PLACE_ATTRS:
            if loc == "it_IT" and a == "cities":
                continue  # every comune (16,000, many named after a saint)
            v = getattr(p, a, ())
            for x in (v.values() if isinstance(v, dict) else v):
                if isinstance(x, str):
                    places.add(x.lower())
                elif isinstance(x, tuple) and x and isinstance(x[0], str):
                    places.add(x[0].lower())
    amb = AMBIGUOUS | {n.lower() for n in got if n.lower() in places and n not in common}
    keep = sorted(n for n in got if len(n) >= 3 and n.isalpha())
    print("\n".join(n + "*" if n.lower() in amb else n for n in keep))


if __name__ == "__main__":
    main()
