"""Fills a Tidewater data folder through its GraphQL API until the record store's files reach a size.

Standard library only; 4 threads send createNote mutations, 64 aliased creates per request."""
import argparse, json, os, random, string, threading, urllib.request

parser = argparse.ArgumentParser()
parser.add_argument("--url", required=True)
parser.add_argument("--data", required=True)
parser.add_argument("--size-mb", type=int, required=True)
args = parser.parse_args()
base = args.url.rsplit("/graphql", 1)[0]


def post(url, body, token=None):
    request = urllib.request.Request(url, data=json.dumps(body).encode(), headers={"Content-Type": "application/json"})
    if token:
        request.add_header("Authorization", "Bearer " + token)
    try:
        with urllib.request.urlopen(request, timeout=120) as reply:
            return json.loads(reply.read())
    except urllib.error.HTTPError as error:
        return json.loads(error.read() or b"{}")


credentials = {"username": "filler", "password": "correct horse battery staple"}
post(base + "/auth/signup", credentials)
token = post(base + "/auth/login", credentials)["accessToken"]
target = args.size_mb * 1_000_000
files = [os.path.join(args.data, name) for name in ("tidewater.sqlite", "tidewater.sqlite-wal")]
mutation = "mutation {" + " ".join(
    f'c{i}: createNote(input: {{title: $t{i}, tags: $g{i}}}) {{ id }}' for i in range(64)) + "}"
mutation = "mutation M(" + ", ".join(f"$t{i}: String!, $g{i}: [String!]" for i in range(64)) + ") " + mutation[len("mutation "):]
done = threading.Event()
lock = threading.Lock()
created = [0]


def size():
    return sum(os.path.getsize(f) for f in files if os.path.exists(f))


def worker(seed):
    rng = random.Random(seed)
    while not done.is_set():
        variables = {}
        for i in range(64):
            variables[f"t{i}"] = "".join(rng.choices(string.ascii_letters, k=64))
            variables[f"g{i}"] = ["".join(rng.choices(string.ascii_lowercase, k=60)) for _ in range(64)]
        reply = post(args.url, {"query": mutation, "variables": variables}, token)
        if reply.get("errors"):
            raise SystemExit("fill failed: " + json.dumps(reply["errors"])[:500])
        with lock:
            created[0] += 64
        if size() >= target:
            done.set()


threads = [threading.Thread(target=worker, args=(seed,)) for seed in range(4)]
for thread in threads:
    thread.start()
for thread in threads:
    thread.join()
print(f"created {created[0]} notes; record store {size()} bytes")
