"""Invented local news for the tests' WordPress: deterministic posts, pages, authors,
categories and the links between posts, as a plan `tests/wordpress/site.php` applies.

Everything here is made up (people, businesses, figures); the places are real places of the
bay so the text reads like the archive it stands in for. The same seed and the same `now`
give the same site. The text avoids what WordPress rewrites when it displays a post
(straight quotes, `--`, `...`, `(c)`, smileys, `3x4`: wptexturize and convert_smilies), so a
paragraph as written here is the paragraph a reader sees.

Pure functions and data: no I/O, no WordPress.
"""

from __future__ import annotations

import itertools
import random
import re
import unicodedata
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from html import escape
from typing import Any

# America/Mexico_City has kept UTC-6 all year since 2022; the site's time zone is that zone.
SITE_OFFSET = timezone(timedelta(hours=-6))
LINK_FORMS = ("url", "p", "noslash", "utm", "rel")

PLACES = (
    "the Zona Romántica", "Versalles", "El Pitillal", "Marina Vallarta", "Fluvial Vallarta",
    "El Centro", "Conchas Chinas", "Mismaloya", "Bucerías", "Nuevo Vallarta", "Las Juntas",
    "Ixtapa", "Coapinole", "El Coapinole", "Boca de Tomatlán", "La Cruz de Huanacaxtle",
    "Sayulita", "San Pancho", "El Tuito", "Playa Grande",
)  # fmt: skip
STREETS = (
    "Avenida México", "Calle Basilio Badillo", "Avenida Francisco Medina Ascencio",
    "Calle Insurgentes", "Avenida Grandes Lagos", "Calle Olas Altas", "Avenida Politécnico",
    "Calle Aquiles Serdán", "Avenida Fluvial Vallarta", "Calle Lázaro Cárdenas",
    "Avenida de los Tules", "Calle Hidalgo",
)  # fmt: skip
BEACHES = (
    "Playa Camarones", "Playa Los Muertos", "Playa de Oro", "Playa Palmares", "Playa Boca",
    "Playa Conchas Chinas", "Playa Holi", "Playa Las Glorias",
)  # fmt: skip
FIRST = (
    "Alejandra", "Rodrigo", "Guadalupe", "Martín", "Sofía", "Ernesto", "Lucía", "Héctor",
    "Mariana", "Javier", "Paola", "Arturo", "Daniela", "Ramón", "Verónica", "Tomás",
    "Claudia", "Emilio", "Rosa", "Fernando", "Itzel", "Gerardo", "Marisol", "Octavio",
)  # fmt: skip
LAST = (
    "Ochoa", "Villaseñor", "Castañeda", "Ibarra", "Navarro", "Peña", "Robles", "Zepeda",
    "Cárdenas", "Salcedo", "Orozco", "Medina", "Quintero", "Arce", "Lomelí", "Becerra",
    "Gallardo", "Montaño", "Rentería", "Vallejo",
)  # fmt: skip
WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
MONTHS = (
    "January", "February", "March", "April", "May", "June", "July", "August", "September",
    "October", "November", "December",
)  # fmt: skip
BUSINESSES = (
    "a bakery", "a taco stand", "a bookshop", "a surf school", "a coffee roaster",
    "a bicycle repair shop", "a seafood restaurant", "a pharmacy", "a yoga studio",
    "a hardware store",
)  # fmt: skip
TEAMS = (
    "Los Delfines", "Atlético Pitillal", "Marina Sharks", "Club Bahía", "Tigres de Las Juntas",
    "Halcones del Centro",
)  # fmt: skip
STORMS = ("Bettina", "Cosme", "Dalila", "Erasmo", "Fabiola", "Gonzalo", "Hilda", "Isauro")
FESTIVALS = (
    "the Restaurant Week", "the Bay Film Showcase", "the Mariachi Night Market",
    "the Gourmet Fair", "the Street Theatre Season", "the Guitar Encounter",
)  # fmt: skip

CATEGORIES = (
    ("local-news", "Local News", "Neighbourhoods, services and daily life around the bay."),
    ("politics", "Politics", "City hall, the council and the state government."),
    ("business", "Business", "Openings, markets and the local economy."),
    ("tourism", "Tourism", "Visitors, hotels, cruise ships and the airport."),
    ("environment", "Environment", "Beaches, rivers, wildlife and the bay itself."),
    ("public-safety", "Public Safety", "Police, firefighters and civil protection."),
    ("weather", "Weather", "Storms, heat and the rainy season."),
    ("culture", "Culture", "Art, music, festivals and food."),
    ("sports", "Sports", "Local teams, races and tournaments."),
)  # fmt: skip
TAGS = (
    ("malecon", "Malecón"), ("hurricane-season", "hurricane season"), ("budget", "budget"),
    ("sea-turtles", "sea turtles"), ("water-service", "water service"),
    ("road-works", "road works"), ("cruise-ships", "cruise ships"), ("schools", "schools"),
)  # fmt: skip
AUTHORS = (
    ("maria-fernanda-ruiz", "María Fernanda Ruiz", "City hall and politics reporter."),
    ("daniel-okafor", "Daniel Okafor", "Covers business, tourism and the airport."),
    ("lupita-arreola", "Lupita Arreola", "Environment and weather reporter."),
    ("sam-whitfield", "Sam Whitfield", "Editor of the community pages."),
    ("ricardo-nunez", "Ricardo Núñez", "Public safety and courts."),
    ("ana-sofia-lemus", "Ana Sofía Lemus", "Culture, food and sports."),
)  # fmt: skip

# Each topic: its categories, title templates, the sentences its stories are made of, and the
# headings, list items and quotes they may carry. Slots in braces are filled per post.
TOPICS: dict[str, dict[str, Any]] = {
    "council": {
        "categories": ("politics", "local-news"),
        "authors": (0, 3),
        "titles": (
            "Council approves {amount} million pesos for {project} in {place}",
            "Council postpones vote on {project} for {place} until {month}",
            "Neighbors of {place} question the plan for {project}",
        ),
        "sentences": (
            "The city council voted {votes} on {weekday} to fund {project} in {place}.",
            "The plan sets aside {amount} million pesos from this year’s public works budget.",
            "Council member {person} said the work had been requested by residents for years.",
            "Opponents argued that the money would be better spent on drainage in {place2}.",
            "The public works department expects to publish the tender in {month}.",
            "Residents of {place} filled the council chamber for the first hour of the session.",
            "A second phase, covering {place2}, depends on funds from the state government.",
            "The mayor’s office said the contract will include a fine for every week of delay.",
            "{person} asked for the designs to be shown at a public meeting first.",
            "The vote came after two hours of debate and a short recess.",
            "City engineers estimate the first phase will take about {hours} weeks.",
        ),
        "headings": ("What the plan includes", "What comes next", "Where the money comes from"),
        "items": (
            "new sidewalks on {street}",
            "ramps at {n} street corners",
            "LED street lighting on {street}",
            "a covered bus stop in {place}",
            "drainage repairs in {place2}",
            "a bicycle lane on {street}",
        ),
        "quotes": (
            "We have waited a long time for this, and we will be watching how it is spent.",
            "This is not the end of the discussion. The neighbors will be consulted at every step.",
        ),
    },
    "water": {
        "categories": ("local-news",),
        "authors": (3, 1),
        "titles": (
            "Water service cut planned for {place} on {weekday}",
            "Pipe repairs leave {place} without water for {hours} hours",
            "Water utility replaces {n} meters of main pipe under {street}",
        ),
        "sentences": (
            "The water utility announced a service interruption for {place} on {weekday}.",
            "Crews will replace a section of the main pipe under {street}.",
            "Service is expected to return gradually after about {hours} hours.",
            "Residents are advised to store water and to keep taps closed during the work.",
            "A utility spokesperson, {person}, said tanker trucks will serve the clinic.",
            "The pipe being replaced was laid more than thirty years ago.",
            "Households in {place2} may notice low pressure during the same period.",
            "The utility asked residents to report leaks through its telephone line.",
            "Similar repairs were carried out in {place2} in {month} without major problems.",
        ),
        "headings": ("Affected streets", "Advice for residents"),
        "items": (
            "{street}, from the river to the highway",
            "the area around the market in {place}",
            "the upper streets of {place2}",
            "the school zone on {street}",
            "the buildings facing {beach}",
        ),
        "quotes": (
            "We chose the day with the lowest demand of the week to cause as little trouble.",
        ),
    },
    "roads": {
        "categories": ("local-news",),
        "authors": (3, 4),
        "titles": (
            "Lane closures on {street} through {month}",
            "New traffic lights at {street} in {place}",
            "Resurfacing of {street} reaches {place}",
        ),
        "sentences": (
            "Drivers on {street} should expect delays while crews resurface the road.",
            "Traffic police will direct vehicles through {place2} at peak hours.",
            "The work is scheduled in stages of about {n} days each.",
            "Shop owners on {street} said their sales dropped during the first week.",
            "{person} of the public works department said night shifts were ruled out for noise.",
            "Buses serving {place} will keep their usual stops with small detours.",
            "The new surface is expected to last at least ten years.",
            "Pedestrians will be able to cross at marked points every two blocks.",
            "A similar project on the same avenue finished ahead of schedule last year.",
        ),
        "headings": ("Detours", "Timetable"),
        "items": (
            "the northbound lane from {place} to the river",
            "the turn into {place2}",
            "the crossing in front of the market",
            "the access to {beach}",
        ),
        "quotes": ("We ask for patience. The street will be much better when we are done.",),
    },
    "tourism": {
        "categories": ("tourism", "business"),
        "authors": (1,),
        "titles": (
            "Cruise season brings {n} ships to the port in {month}",
            "Hotel occupancy reaches {pct} percent over the holiday weekend",
            "Airport adds {n} weekly flights for the winter season",
        ),
        "sentences": (
            "Hotels in {place} reported occupancy of {pct} percent over the weekend.",
            "The port expects {n} cruise ships between now and the end of {month}.",
            "Tour operators said visitors are booking trips to {place2} earlier than last year.",
            "{person}, who runs a tour company in {place}, said bookings doubled in two weeks.",
            "The airport added new routes from three cities in the United States and Canada.",
            "Restaurants along {street} extended their hours to serve the extra visitors.",
            "The hotel association expects the numbers to hold through {month}.",
            "Taxi drivers asked the city for more space to wait near the cruise terminal.",
            "Tourism officials attributed the rise to direct flights and good weather.",
        ),
        "headings": ("By the numbers", "Who is coming"),
        "items": (
            "{n} ships expected in {month}",
            "{pct} percent hotel occupancy",
            "new flights on {weekday}s and {weekday2}s",
            "more than {n2} visitors a day",
        ),
        "quotes": (
            "The season started strong, and everything points to a good winter for the whole bay.",
        ),
    },
    "turtles": {
        "categories": ("environment",),
        "authors": (2,),
        "titles": (
            "Turtle camp at {beach} releases {n} hatchlings",
            "Volunteers collect {n} kilos of trash from {beach}",
            "Whale watching season opens with {n} sightings on the first day",
        ),
        "sentences": (
            "Volunteers at the turtle camp on {beach} released {n} olive ridley hatchlings.",
            "The camp has protected more than {n2} nests since the season began.",
            "Biologist {person} asked visitors to keep lights off near the beach at night.",
            "A cleanup on {beach} gathered volunteers from {place} and {place2}.",
            "Most of the trash collected was plastic bottles and fishing line.",
            "Boat operators must keep a distance of at least one hundred meters from the whales.",
            "The environmental authority will inspect boats at the marina every week.",
            "Schools in {place} have organized visits to the camp on {weekday}s.",
            "Rains in {month} can wash nests away, so eggs are moved to a protected corral.",
        ),
        "headings": ("How to help", "The season so far"),
        "items": (
            "keep lights off on the beach after dark",
            "do not touch the hatchlings",
            "report nests to the camp’s hotline",
            "take your trash with you",
            "keep dogs on a leash near the dunes",
        ),
        "quotes": (
            "Every hatchling that reaches the water is a small victory for the whole community.",
            "People want to help, and the best help is to leave the beach as they found it.",
        ),
    },
    "safety": {
        "categories": ("public-safety",),
        "authors": (4,),
        "titles": (
            "Firefighters control grass fire near {place}",
            "Police add patrols in {place} after a string of thefts",
            "Civil protection checks {n} shelters ahead of the rainy season",
        ),
        "sentences": (
            "Firefighters needed {hours} hours to control a grass fire on the hills above {place}.",
            "No injuries were reported and no homes were damaged.",
            "Police will patrol {place} on foot and by bicycle in the evenings.",
            "Residents reported several thefts from parked cars on {street} last month.",
            "Commander {person} asked residents to report anything suspicious to 911.",
            "Civil protection inspected shelters in {place} and {place2}.",
            "Each shelter must have water, first aid supplies and a working radio.",
            "Dry vegetation and wind make the hills especially vulnerable in {month}.",
            "The fire department has asked landowners to clear brush around their properties.",
        ),
        "headings": ("Emergency numbers", "What residents can do"),
        "items": (
            "emergencies: 911",
            "report a fire on the hills at once",
            "keep a copy of your documents",
            "know the nearest shelter in {place}",
        ),
        "quotes": ("Prevention is the best tool we have, and it depends on every household.",),
    },
    "weather": {
        "categories": ("weather", "local-news"),
        "authors": (2, 4),
        "titles": (
            "Tropical storm {storm} expected to bring rain to the bay on {weekday}",
            "Heat advisory for the bay as temperatures reach {temp} degrees",
            "Rainy season arrives with {n} millimeters in one night",
        ),
        "sentences": (
            "Forecasters expect tropical storm {storm} to pass well offshore on {weekday}.",
            "Heavy rain and strong waves are likely along {beach} and the southern coast.",
            "Civil protection recommended avoiding the river crossings in {place}.",
            "Temperatures could reach {temp} degrees in the afternoon, with high humidity.",
            "Schools in {place2} will keep students indoors during the hottest hours.",
            "{person} of the weather service said the storm was not expected to strengthen.",
            "The port captain closed the harbor to small boats until further notice.",
            "Last year the first rains arrived in {month}, about two weeks earlier.",
            "Residents should clear gutters and secure loose objects on rooftops.",
        ),
        "headings": ("Forecast", "Precautions"),
        "items": (
            "stay away from rivers and streams",
            "do not cross flooded streets",
            "secure water tanks on rooftops",
            "keep a flashlight and batteries at hand",
        ),
        "quotes": ("We do not expect a direct hit, but we must be ready as if we did.",),
    },
    "market": {
        "categories": ("business",),
        "authors": (1, 3),
        "titles": (
            "A new {business} opens on {street}",
            "Farmers market in {place} adds {n} stalls",
            "Small businesses in {place} report better sales in {month}",
        ),
        "sentences": (
            "The new business on {street} opened its doors on {weekday} morning.",
            "Its owner, {person}, worked in restaurants along the bay for ten years.",
            "The farmers market in {place} now has {n} stalls selling produce, bread and coffee.",
            "Vendors come from {place2} and the mountain towns to the south.",
            "The market opens every {weekday} from eight in the morning until one.",
            "Owners said the number of customers grew after the street was repaired.",
            "A local credit union offered small loans to {n2} shop owners this year.",
            "Most of the new businesses employ fewer than ten people.",
        ),
        "headings": ("What you will find", "Opening hours"),
        "items": (
            "fresh fish from the morning boats",
            "organic coffee from the mountains",
            "bread baked the same day",
            "honey and preserves",
            "handmade crafts",
        ),
        "quotes": ("We wanted a place where neighbors meet, not only a place to shop.",),
    },
    "culture": {
        "categories": ("culture",),
        "authors": (5,),
        "titles": (
            "Art walk returns to {place} with {n} galleries",
            "{festival} announces its program for {month}",
            "Community orchestra of {place} gives its first concert",
        ),
        "sentences": (
            "The art walk in {place} returns on {weekday} with {n} galleries open until late.",
            "Organizers of {festival} presented a program with more than {n2} events.",
            "Most activities will take place on the Malecón and in the main square.",
            "Painter {person} will show a series inspired by the fishermen of {place2}.",
            "Admission is free, and maps are available at every participating gallery.",
            "The community orchestra rehearses twice a week in a school in {place}.",
            "Tickets for the closing night are expected to sell out quickly.",
            "Restaurants along {street} will offer special menus during the festival.",
        ),
        "headings": ("Highlights", "Where and when"),
        "items": (
            "an opening concert on the Malecón",
            "street theatre in {place}",
            "workshops for children on {weekday}",
            "a market of local crafts",
            "a closing dance in the main square",
        ),
        "quotes": ("Art belongs in the street, where everyone can see it.",),
    },
    "sports": {
        "categories": ("sports",),
        "authors": (5, 3),
        "titles": (
            "{team} win the regional final in {place}",
            "Registration opens for the {km} kilometer race on the Malecón",
            "Youth league in {place} adds {n} teams this season",
        ),
        "sentences": (
            "{team} won the regional final {score} in front of a full stadium in {place}.",
            "Coach {person} said the team trained every morning before school and work.",
            "Registration for the race on the Malecón closes at the end of {month}.",
            "The route runs from {place2} along the seafront and back.",
            "The youth league now has {n} teams and more than three hundred players.",
            "Volunteers are needed for water stations along the course.",
            "The city will close parts of {street} from six until ten in the morning.",
            "Medals will be given to every runner who finishes the course.",
        ),
        "headings": ("The match", "How to take part"),
        "items": (
            "registration online or at the sports unit",
            "a kit with shirt and number",
            "water stations every two kilometers",
            "medical staff at the finish",
        ),
        "quotes": (
            "These kids have earned every minute of this, and the whole town came to see it.",
        ),
    },
    "schools": {
        "categories": ("local-news",),
        "authors": (3, 0),
        "titles": (
            "Students in {place} plant {n} trees along the river",
            "Public library in {place} opens a bilingual reading room",
            "Parents in {place} ask for a crossing guard on {street}",
        ),
        "sentences": (
            "Students from three schools in {place} planted {n} native trees along the river.",
            "The trees were donated by a nursery in {place2}.",
            "The public library opened a reading room with books in Spanish and English.",
            "Librarian {person} said children’s workshops will run every {weekday} afternoon.",
            "Parents asked the city for a crossing guard at the busiest corner of {street}.",
            "The school has about {n2} students, most of whom walk to class.",
            "Teachers will look after the trees with the students during the rainy season.",
            "The library is open from nine in the morning until seven in the evening.",
        ),
        "headings": ("What the parents ask", "Opening hours"),
        "items": (
            "a crossing guard at the morning and afternoon bells",
            "a speed bump on {street}",
            "better lighting at the bus stop",
            "a painted crossing in front of the gate",
        ),
        "quotes": ("The children are the ones who will look after these trees for years to come.",),
    },
}
GENERIC = (
    "More information is available from the city’s offices in {place}.",
    "The announcement was made at a press conference on {weekday}.",
    "Residents of {place} have followed the matter closely in recent weeks.",
    "The measure will be reviewed again in {month}.",
    "Officials did not give a date for the next update.",
    "Several neighbors said they learned about it through messaging groups.",
    "A similar effort in {place2} is considered a model by local officials.",
    "The city said it would publish the details on its website.",
    "The neighborhood committee of {place} has asked to be kept informed.",
    "Local radio stations will broadcast the updates as they come in.",
    "The state government has been asked to contribute part of the cost.",
    "Nobody from the opposition parties commented on {weekday}.",
    "Business owners on {street} said they support the idea in general.",
    "The city’s social media accounts will post reminders during the week.",
    "Some residents said they would have liked more notice.",
    "Questions can be sent to the citizen service office in the city hall.",
    "The last time the matter came up was in {month} of last year.",
    "Officials promised a public report once the work is finished.",
    "Volunteers from {place2} offered to help with the organization.",
    "The details may change, and this story will be updated if they do.",
)  # fmt: skip
PROJECTS = (
    "a new covered market", "the renovation of the main square", "a pedestrian bridge",
    "a sports unit", "a community center", "new drainage", "the river walk",
    "a health clinic", "a public library branch",
)  # fmt: skip


def slugify(text: str) -> str:
    """WordPress's slug of a title, for the ASCII-folding and hyphens it applies."""
    folded = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", folded.lower()).strip("-")


_TEXTURIZED = re.compile(r"['\"]|--|\.\.\.|\s-\s|\((?:c|r|tm)\)|\d\s*x\s*\d|[:;]-?[()DPp]", re.I)


def check_typography(text: str) -> str:
    """The text, if WordPress will display it unchanged (no wptexturize or smiley rewrite)."""
    found = _TEXTURIZED.search(text)
    if found:
        raise ValueError(f"text WordPress would rewrite ({found.group()!r}): {text}")
    return text


@dataclass(frozen=True)
class Block:
    """One block of a post's body: kind (p, h2, li, quote, cite, caption), the text a reader
    sees, and its markup with link placeholders."""

    kind: str
    text: str
    html: str


@dataclass(frozen=True)
class Link:
    """A link from one planned post to another object: its key, its alias form (one of
    LINK_FORMS, or "broken" for an address that never existed) and its anchor text."""

    target: str
    form: str
    anchor: str


@dataclass
class PlannedPost:
    key: str
    type: str  # post or page
    status: str  # publish, draft, pending, private, future
    title: str
    slug: str
    date: datetime  # aware, in the site's offset
    author: str  # user key
    categories: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()
    blocks: list[Block] = field(default_factory=list)
    links: list[Link] = field(default_factory=list)
    image: dict[str, Any] | None = None

    def content(self) -> str:
        """The post's block markup, as the block editor saves it."""
        return "\n\n".join(_block_markup(self.blocks, self.image))

    def to_plan(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "type": self.type,
            "status": self.status,
            "title": self.title,
            "slug": self.slug,
            "date": self.date.strftime("%Y-%m-%d %H:%M:%S"),
            "author": self.author,
            "categories": list(self.categories),
            "tags": list(self.tags),
            "content": self.content(),
            "image": self.image,
        }


def _block_markup(blocks: list[Block], image: dict[str, Any] | None) -> list[str]:
    out: list[str] = []
    index = 0
    while index < len(blocks):
        block = blocks[index]
        if block.kind == "p":
            out.append(f"<!-- wp:paragraph -->\n<p>{block.html}</p>\n<!-- /wp:paragraph -->")
        elif block.kind == "h2":
            out.append(f"<!-- wp:heading -->\n<h2>{block.html}</h2>\n<!-- /wp:heading -->")
        elif block.kind == "li":
            items = []
            while index < len(blocks) and blocks[index].kind == "li":
                items.append(
                    "<!-- wp:list-item -->\n<li>"
                    + blocks[index].html
                    + "</li>\n<!-- /wp:list-item -->"
                )
                index += 1
            out.append("<!-- wp:list -->\n<ul>" + "\n\n".join(items) + "</ul>\n<!-- /wp:list -->")
            continue
        elif block.kind == "quote":
            cite = blocks[index + 1].html
            out.append(
                '<!-- wp:quote -->\n<blockquote class="wp-block-quote"><!-- wp:paragraph -->\n'
                f"<p>{block.html}</p>\n<!-- /wp:paragraph --><cite>{cite}</cite></blockquote>\n"
                "<!-- /wp:quote -->"
            )
            index += 1
        elif block.kind == "caption" and image is not None:
            key = image["key"]
            out.append(
                f'<!-- wp:image {{"id":{{{{id:{key}}}}},"sizeSlug":"large",'
                '"linkDestination":"attachment"} -->\n'
                f'<figure class="wp-block-image size-large"><a href="{{{{url:{key}}}}}">'
                f'<img src="{{{{src:{key}}}}}" alt="{escape(image["alt"])}"'
                f' class="wp-image-{{{{id:{key}}}}}"/></a>'
                f'<figcaption class="wp-element-caption">{block.html}</figcaption></figure>\n'
                "<!-- /wp:image -->"
            )
        index += 1
    return out


class _Writer:
    """Fills one post's slots and draws its sentences without repeating one."""

    def __init__(self, rng: random.Random, topic: dict[str, Any]) -> None:
        self.rng = rng
        self.topic = topic
        place, place2 = rng.sample(PLACES, 2)
        weekday, weekday2 = rng.sample(WEEKDAYS, 2)
        n = rng.choice((3, 4, 5, 6, 7, 8, 9, 11, 12, 14, 15, 18, 21, 24, 27, 32, 35, 40, 45, 60))
        self.slots = {
            "place": place,
            "place2": place2,
            "Place": place[0].upper() + place[1:],
            "street": rng.choice(STREETS),
            "beach": rng.choice(BEACHES),
            "person": f"{rng.choice(FIRST)} {rng.choice(LAST)}",
            "weekday": weekday,
            "weekday2": weekday2,
            "month": rng.choice(MONTHS),
            "n": str(n),
            "n2": str(rng.choice((2, 3, 5, 120, 150, 240, 300, 450, 600, 800))),
            "amount": str(rng.choice((4, 6, 8, 12, 15, 18, 22, 25, 30, 40))),
            "pct": str(rng.choice((71, 76, 82, 85, 88, 91, 93, 95))),
            "team": rng.choice(TEAMS),
            "storm": rng.choice(STORMS),
            "festival": rng.choice(FESTIVALS),
            "business": rng.choice(BUSINESSES),
            "project": rng.choice(PROJECTS),
            "hours": str(rng.choice((3, 4, 5, 6, 8, 10, 12, 14))),
            "temp": str(rng.choice((34, 35, 36, 37, 38, 39))),
            "km": str(rng.choice((5, 10, 15, 21))),
            "votes": rng.choice(("12 to 5", "10 to 7", "15 to 2", "11 to 6", "unanimously")),
            "score": rng.choice(("2 to 1", "3 to 2", "1 to 0", "4 to 2", "3 to 1")),
        }
        # The topic's own sentences lead; the rest are mixed with the generic ones.
        own = [*topic["sentences"]]
        rng.shuffle(own)
        rest = [*own[4:], *GENERIC]
        rng.shuffle(rest)
        self.pool = rest + own[:4]  # popped from the end

    def fill(self, template: str) -> str:
        text = template.format(**self.slots)
        return check_typography(text[0].upper() + text[1:])

    def sentence(self) -> str:
        if not self.pool:
            self.pool = [*GENERIC]
            self.rng.shuffle(self.pool)
        return self.fill(self.pool.pop())

    def paragraph(self, sentences: int) -> str:
        return " ".join(self.sentence() for _ in range(sentences))


def _title(rng: random.Random, topic: dict[str, Any], used: set[str]) -> tuple[str, _Writer]:
    """A title whose slug neither starts nor is started by a slug already used (see
    `_check_slugs`)."""
    for _ in range(200):
        writer = _Writer(rng, topic)
        title = writer.fill(rng.choice(topic["titles"]))
        slug = slugify(title)
        if not any(slug.startswith(old) or old.startswith(slug) for old in used):
            return title, writer
    raise ValueError("ran out of distinct titles")  # pragma: no cover


def _blocks(rng: random.Random, writer: _Writer, image: dict[str, Any] | None) -> list[Block]:
    """A story of 3 to 12 paragraphs; some with a sub-heading, a list or a quote."""
    topic = writer.topic
    count = rng.choice((3, 3, 4, 4, 5, 5, 6, 6, 7, 8, 9, 10, 12))
    blocks = [_para(writer.paragraph(rng.choice((2, 3))))]
    if image is not None:
        blocks.append(Block("caption", image["caption"], escape(image["caption"], quote=False)))
    headings = list(topic["headings"])
    rng.shuffle(headings)
    want_list = rng.random() < 0.3
    want_quote = rng.random() < 0.3
    for index in range(1, count):
        if count >= 6 and index in (count // 2, count - 2) and headings:
            text = writer.fill(headings.pop())
            blocks.append(Block("h2", text, escape(text, quote=False)))
        if want_list and index == 2:
            blocks.append(_para(writer.fill("These are the main points:")))
            items = list(topic["items"])
            rng.shuffle(items)
            for item in items[: rng.choice((3, 4))]:
                text = writer.fill(item)
                blocks.append(Block("li", text, escape(text, quote=False)))
            continue
        if want_quote and index == 3:
            text = writer.fill(rng.choice(topic["quotes"]))
            cite = writer.fill("{person}")
            blocks.append(Block("quote", text, escape(text, quote=False)))
            blocks.append(Block("cite", cite, escape(cite, quote=False)))
            continue
        blocks.append(_para(writer.paragraph(rng.choice((1, 2, 2, 2, 3, 3)))))
    return blocks


def _para(text: str) -> Block:
    return Block("p", text, escape(text, quote=False))


def _link_sentence(
    rng: random.Random, target: PlannedPost, form: str, campaign: str
) -> tuple[Block, Link]:
    templates = (
        ("This follows our earlier report, ", "."),
        ("Read more: ", "."),
        ("Related coverage: ", "."),
        ("See also: ", "."),
    )
    before, after = rng.choice(templates)
    anchor = target.title
    placeholder = {
        "url": f"{{{{url:{target.key}}}}}",
        "p": f"{{{{p:{target.key}}}}}",
        "noslash": f"{{{{noslash:{target.key}}}}}",
        "utm": f"{{{{utm:{target.key}:{campaign}}}}}",
        "rel": f"{{{{rel:{target.key}}}}}",
    }[form]
    html = f'{escape(before)}<a href="{placeholder}">{escape(anchor, quote=False)}</a>{after}'
    return Block("p", before + anchor + after, html), Link(target.key, form, anchor)


@dataclass
class SitePlan:
    """Everything one fill creates, in the order it is created."""

    now: datetime
    users: list[dict[str, Any]]
    terms: list[dict[str, Any]]
    posts: list[PlannedPost]
    options: dict[str, Any]
    listing: str  # the path of the posts listing (the posts page)

    def to_plan(self) -> dict[str, Any]:
        return {
            "clear": True,
            "users": self.users,
            "terms": self.terms,
            "posts": [post.to_plan() for post in self.posts],
            "options": self.options,
        }


FRONT_TEXT = "News from around the bay, every day. The latest stories are on the headlines page."
BROKEN_SLUGS = ("archived-story-2019-removed", "old-newsletter-issue-44")
PAGES = (
    ("page-about", "About Us", "about-us", "Vallarta Test Daily is an invented newspaper for a bay of real towns. Its reporters, businesses and figures are made up; it exists so that software can be tested against a real WordPress."),  # noqa: E501
    ("page-contact", "Contact", "contact", "Send news tips, corrections and letters to the newsroom. We read every message and answer as soon as we can."),  # noqa: E501
    ("page-advertise", "Advertise With Us", "advertise", "Local businesses can reach readers across the bay with a listing, a banner or a sponsored newsletter."),  # noqa: E501
    ("page-terms", "Terms of Use", "terms", "Articles may be quoted with a link to the original. Comments are moderated and may be removed."),  # noqa: E501
)  # fmt: skip


def plan_site(posts: int = 400, now: datetime | None = None, seed: int = 2024) -> SitePlan:
    """The site: six authors, nine categories, a few tags, five pages (one of them the posts
    listing at /headlines/, with a static front page), `posts` published posts from about a
    year ago up to hours ago, plus drafts, pending, private and scheduled posts, images on
    one post in twenty, and links between posts in every alias form."""
    rng = random.Random(seed)
    now = (
        (now or datetime.now(SITE_OFFSET)).astimezone(SITE_OFFSET).replace(second=0, microsecond=0)
    )
    users = [
        {
            "key": f"user-{nicename}",
            "login": nicename.replace("-", "_"),
            "nicename": nicename,
            "display_name": name,
            "first_name": name.rsplit(" ", 1)[0],
            "last_name": name.rsplit(" ", 1)[1],
            "description": bio,
            "role": "author" if index else "editor",
        }
        for index, (nicename, name, bio) in enumerate(AUTHORS)
    ]
    user_keys = [user["key"] for user in users]
    terms = [
        {
            "key": f"cat-{slug}",
            "taxonomy": "category",
            "name": name,
            "slug": slug,
            "description": text,
        }
        for slug, name, text in CATEGORIES
    ] + [
        {
            "key": f"tag-{slug}",
            "taxonomy": "post_tag",
            "name": name,
            "slug": slug,
            "description": "",
        }
        for slug, name in TAGS
    ]
    used = {slug for *_, slug, _ in PAGES} | {"headlines", "welcome", *BROKEN_SLUGS}
    planned: list[PlannedPost] = []
    editor = user_keys[3]
    start = now - timedelta(days=posts * 1.1 + 30)
    for key, title, slug, text in PAGES:
        planned.append(
            PlannedPost(key, "page", "publish", title, slug, start, editor, blocks=[_para(text)])
        )
    planned.append(
        PlannedPost("page-headlines", "page", "publish", "Headlines", "headlines", start, editor)
    )
    planned.append(
        PlannedPost(
            "page-front",
            "page",
            "publish",
            "Welcome",
            "welcome",
            start,
            editor,
            blocks=[_para(FRONT_TEXT)],
        )
    )
    planned.append(
        PlannedPost(
            "page-draft",
            "page",
            "draft",
            "Election Coverage Guide",
            "election-coverage-guide",
            now - timedelta(days=5),
            editor,
            blocks=[_para("How we will cover the coming election: a draft for the newsroom.")],
        )
    )
    published = _published_dates(rng, posts, now)
    hidden = _hidden_posts(rng, now)
    timeline = sorted(
        [("publish", date) for date in published] + hidden, key=lambda entry: entry[1]
    )
    topics = list(TOPICS.values())
    images = set(range(7, posts, max(1, posts // 20)))
    done: list[PlannedPost] = []  # published posts so far, oldest first
    for number, (status, date) in enumerate(timeline, start=1):
        topic = topics[rng.randrange(len(topics))]
        title, writer = _title(rng, topic, used)
        slug = slugify(title)
        used.add(slug)
        key = f"post-{number}"
        image = None
        if status == "publish" and len(done) in images:
            image = _image(rng, writer, key, slug, len(done))
        post = PlannedPost(
            key=key,
            type="post",
            status=status,
            title=title,
            slug=slug,
            date=date,
            author=user_keys[rng.choice(topic["authors"])],
            categories=tuple(f"cat-{c}" for c in topic["categories"][: rng.choice((1, 1, 2))]),
            tags=tuple(f"tag-{t}" for t, _ in rng.sample(TAGS, rng.choice((0, 0, 0, 1, 2)))),
            blocks=_blocks(rng, writer, image),
            image=image,
        )
        if status == "publish":
            _add_links(rng, post, done)
            done.append(post)
        planned.append(post)
    _add_special_links(done)
    _check_slugs(planned)
    check_plan(planned)
    options = {
        "show_on_front": "page",
        "page_on_front": "key:page-front",
        "page_for_posts": "key:page-headlines",
        "default_category": "key:cat-local-news",
    }
    return SitePlan(now, users, terms, planned, options, "/headlines/")


def _published_dates(rng: random.Random, posts: int, now: datetime) -> list[datetime]:
    """Oldest first: about one story a day over the last ~13 months, the two newest within
    the last day."""
    dates = [now - timedelta(hours=3, minutes=17), now - timedelta(hours=20, minutes=41)]
    day = 3.0
    while len(dates) < posts:
        hour = rng.choice((7, 8, 9, 10, 11, 12, 13, 15, 17, 19, 21))
        stamp = (now - timedelta(days=int(day))).replace(hour=hour, minute=rng.randrange(60))
        dates.append(stamp)
        day += rng.choice((0.0, 1.0, 1.0, 1.0, 1.0, 2.0))
    return sorted(dates[:posts])


def _hidden_posts(rng: random.Random, now: datetime) -> list[tuple[str, datetime]]:
    """Posts no anonymous reader may see: drafts, pending review, private, and scheduled."""
    out = [("draft", now - timedelta(days=d, hours=2)) for d in (1, 2, 4, 9, 15, 30, 60, 200)]
    out += [("pending", now - timedelta(days=d, hours=5)) for d in (1, 6)]
    out += [("private", now - timedelta(days=d, hours=4)) for d in (11, 40, 90, 150, 300)]
    out += [("future", now + timedelta(days=d, hours=3)) for d in (7, 12, 20, 31, 45)]
    rng.shuffle(out)
    return out


def _image(rng: random.Random, writer: _Writer, key: str, slug: str, index: int) -> dict[str, Any]:
    caption = writer.fill(
        rng.choice(
            (
                "{Place} on {weekday} morning.",
                "A view of {street} this week.",
                "{beach} at sunset.",
                "Residents of {place} gathered for the announcement.",
            )
        )
    )
    return {
        "key": f"image-{key}",
        "slug": f"photo-{slug}"[:60].rstrip("-"),
        "title": f"Photo: {caption.rstrip('.')}",
        "alt": caption.rstrip("."),
        "caption": caption,
        "description": "",
        "width": 1200,
        "height": 800,
        "color": [rng.randrange(40, 200) for _ in range(3)],
        "bands": [round(rng.random() * 0.9, 2) for _ in range(3)],
        "featured": index % 3 == 0,
    }


def _add_links(rng: random.Random, post: PlannedPost, done: list[PlannedPost]) -> None:
    """0 to 3 links to earlier stories, mostly recent ones, in the alias forms editors paste:
    the permalink, `?p=ID`, no trailing slash, newsletter `utm_*` parameters, a bare path."""
    if not done:
        return
    links = rng.choice((0, 0, 0, 1, 1, 1, 1, 2, 2, 3))
    for _ in range(min(links, len(done))):
        recent = done[-40:]
        target = rng.choice(recent) if rng.random() < 0.7 else rng.choice(done)
        if any(link.target == target.key for link in post.links):
            continue
        form = rng.choices(LINK_FORMS, weights=(45, 10, 15, 15, 15))[0]
        block, link = _link_sentence(rng, target, form, "weekly-roundup")
        position = rng.randrange(1, len(post.blocks) + 1)
        while position < len(post.blocks) and post.blocks[position].kind in ("li", "cite"):
            position += 1
        post.blocks.insert(position, block)
        post.links.append(link)


def _add_special_links(done: list[PlannedPost]) -> None:
    """A few links every fill has: to the contact page, to a category archive, and to two
    addresses that never existed."""
    for number, post in enumerate(done[5::60]):
        text = "Send news tips and corrections through our contact page."
        html = 'Send news tips and corrections through our <a href="{{url:page-contact}}">contact page</a>.'  # noqa: E501
        post.blocks.append(Block("p", text, html))
        post.links.append(Link("page-contact", "url", "contact page"))
        if number == 0:
            text = "Find more stories in our Weather section."
            html = (
                'Find more stories in our <a href="{{home}}/category/weather/">Weather section</a>.'
            )
            post.blocks.append(Block("p", text, html))
            post.links.append(Link("category-weather", "category", "Weather section"))
    for post, slug in zip(done[30::150], BROKEN_SLUGS, strict=False):
        text = "An earlier version of this story was published in our archive."
        html = f'An earlier version of this story was published in <a href="{{{{home}}}}/{slug}/">our archive</a>.'  # noqa: E501
        post.blocks.append(Block("p", text, html))
        post.links.append(Link(slug, "broken", "our archive"))


def _check_slugs(posts: list[PlannedPost]) -> None:
    """No slug may start another: WordPress answers a missing /slug/ with a 301 to a post whose
    slug starts with it (its 404 guess), which would hide a trashed post's 404."""
    slugs = sorted({post.slug for post in posts} | set(BROKEN_SLUGS))
    for first, second in itertools.pairwise(slugs):
        if second.startswith(first):
            raise ValueError(f"slug {first!r} starts {second!r}")


def check_plan(posts: list[PlannedPost]) -> None:
    """Every title and block as WordPress will display it (see `check_typography`)."""
    for post in posts:
        check_typography(post.title)
        for block in post.blocks:
            check_typography(block.text)


@dataclass(frozen=True)
class Existing:
    """What the change step needs to know of a published post."""

    key: str
    slug: str
    title: str
    linked_from: int  # published posts linking to it
    has_image: bool


@dataclass
class ChangePlan:
    """Three new posts, five edits (a sentence added to the first paragraph and a correction
    paragraph at the end), and two posts to trash: one linked from other posts, one linked
    from none."""

    new: list[PlannedPost]
    edited: dict[
        str, tuple[str, str]
    ]  # key -> (sentence added to the first paragraph, paragraph added at the end)
    trash_linked: str
    trash_unlinked: str


EDIT_SENTENCES = (
    "Updated: officials confirmed the figures on {weekday}.",
    "Updated: the city published the final list of streets on {weekday}.",
    "Updated: the meeting was moved to {weekday} evening.",
    "Updated: organizers raised the expected attendance to {n2} people.",
    "Updated: the work in {place2} was added to the plan on {weekday}.",
)
EDIT_PARAGRAPHS = (
    "Correction: an earlier version of this story gave the wrong date for the vote.",
    "Correction: an earlier version of this story misspelled the name of the street.",
    "This story was updated with the response of the neighborhood committee of {place2}.",
    "Correction: the clinic in {place} opens at eight, not at nine as first reported.",
    "This story was updated after the city corrected its figures on {weekday}.",
)


def plan_changes(
    existing: list[Existing], used_slugs: set[str], now: datetime, seed: int = 7
) -> ChangePlan:
    """The change step's plan over the published posts `existing` (oldest first). Edited and
    trashed posts are old ones (not among the newest 40, which feeds and the first listing
    pages show), distinct, without images; new posts link to recent posts that stay."""
    rng = random.Random(seed)
    now = now.astimezone(SITE_OFFSET).replace(second=0, microsecond=0)
    old = [post for post in existing[: max(0, len(existing) - 40)] if not post.has_image]
    linked = [post for post in old if post.linked_from > 0]
    unlinked = [post for post in old if post.linked_from == 0]
    if not linked or not unlinked or len(old) < 7:
        raise ValueError("the site has too few old posts to change (fill at least 60)")
    trash_linked = rng.choice(linked)
    trash_unlinked = rng.choice(unlinked)
    rest = [post for post in old if post not in (trash_linked, trash_unlinked)]
    edited: dict[str, tuple[str, str]] = {}
    for index, post in enumerate(rng.sample(rest, 5)):
        writer = _Writer(rng, TOPICS["council"])
        edited[post.key] = (
            writer.fill(EDIT_SENTENCES[index]),
            writer.fill(EDIT_PARAGRAPHS[index]),
        )
    gone = {trash_linked.key, trash_unlinked.key}
    targets = [post for post in existing[-20:] if post.key not in gone]
    used = set(used_slugs)
    new: list[PlannedPost] = []
    topics = list(TOPICS.values())
    for number, minutes in enumerate((50, 30, 10), start=1):
        topic = topics[rng.randrange(len(topics))]
        title, writer = _title(rng, topic, used)
        slug = slugify(title)
        used.add(slug)
        post = PlannedPost(
            key=f"new-{number}",
            type="post",
            status="publish",
            title=title,
            slug=slug,
            date=now - timedelta(minutes=minutes),
            author=f"user-{AUTHORS[rng.randrange(len(AUTHORS))][0]}",
            categories=tuple(f"cat-{c}" for c in topic["categories"][:1]),
            blocks=_blocks(rng, writer, None),
        )
        if number < 3 and targets:
            target = rng.choice(targets)
            stand_in = PlannedPost(
                target.key, "post", "publish", target.title, target.slug, now, ""
            )
            block, link = _link_sentence(rng, stand_in, ("url", "p")[number - 1], "breaking")
            post.blocks.insert(1, block)
            post.links.append(link)
        new.append(post)
    check_plan(new)
    return ChangePlan(new, edited, trash_linked.key, trash_unlinked.key)
