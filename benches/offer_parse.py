#!/usr/bin/env python3
"""Times `emrcost pricing update` on large generated offer files.

Writes EC2 offers of two sizes (real layout and attribute set, mostly
products the book does not need, as in the real file), runs the release
binary on each under /usr/bin/time, and prints MB/s and peak RSS. Peak
memory should stay flat as the file grows: the reader streams.

    cargo build --release && python3 benches/offer_parse.py [MB ...]
"""
import json, os, re, shutil, subprocess, sys, tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BIN = os.path.join(ROOT, "target", "release", "emrcost")
FIXTURES = os.path.join(ROOT, "tests", "fixtures", "offers")
EC2 = "offers/v1.0/aws/AmazonEC2/20261101000000/us-east-1/index.json"

ATTRS = {
    "servicecode": "AmazonEC2", "location": "US East (N. Virginia)", "locationType": "AWS Region",
    "regionCode": "us-east-1", "currentGeneration": "Yes", "instanceFamily": "General purpose",
    "clockSpeed": "3.1 GHz", "storage": "EBS only", "networkPerformance": "Up to 10 Gigabit",
    "processorArchitecture": "64-bit", "dedicatedEbsThroughput": "Up to 4750 Mbps", "ecu": "16",
    "enhancedNetworkingSupported": "Yes", "intelAvxAvailable": "Yes", "intelAvx2Available": "Yes",
    "intelTurboAvailable": "Yes", "licenseModel": "No License required", "normalizationSizeFactor": "8",
    "physicalProcessor": "Intel Xeon Platinum 8175", "processorFeatures": "Intel AVX; Intel AVX2; Intel AVX512; Intel Turbo",
    "vpcnetworkingsupport": "true", "classicnetworkingsupport": "false", "gpuMemory": "NA",
}
OS = ["Windows", "RHEL", "SUSE", "Red Hat Enterprise Linux with HA", "Ubuntu Pro"]
TEN = ["Shared", "Dedicated", "Host"]


def write_ec2(path, target_bytes):
    """Streams an offer of about target_bytes: the fixture's real rows plus filler products."""
    base = json.load(open(os.path.join(FIXTURES, EC2)))
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as f:
        f.write('{"formatVersion":"v1.0","disclaimer":"bench","offerCode":"AmazonEC2","version":"20261101000000",'
                '"publicationDate":"2026-11-01T00:00:00Z","products":{')
        first = True
        for sku, p in base["products"].items():
            f.write(("" if first else ",") + json.dumps(sku) + ":" + json.dumps(p))
            first = False
        n = 0
        filler_skus = []
        while f.tell() < target_bytes * 0.7:
            n += 1
            sku = f"FILLER{n:09d}"
            a = dict(ATTRS, instanceType=f"x{n % 97}.{n % 7}xlarge", operatingSystem=OS[n % len(OS)],
                     tenancy=TEN[n % len(TEN)], vcpu=str(2 ** (n % 6)), memory=f"{2 ** (n % 8)} GiB",
                     usagetype=f"BoxUsage:x{n % 97}.{n % 7}xlarge", operation=f"RunInstances:{n % 9999:04d}",
                     preInstalledSw="NA", capacitystatus="Used")
            f.write("," + json.dumps(sku) + ":" + json.dumps({"sku": sku, "productFamily": "Compute Instance", "attributes": a}))
            filler_skus.append(sku)
        f.write('},"terms":{"OnDemand":{')
        first = True
        for sku, t in base["terms"]["OnDemand"].items():
            f.write(("" if first else ",") + json.dumps(sku) + ":" + json.dumps(t))
            first = False
        for sku in filler_skus:
            term = {f"{sku}.JRTCKXETXF": {"offerTermCode": "JRTCKXETXF", "sku": sku, "effectiveDate": "2026-10-01T00:00:00Z",
                    "priceDimensions": {f"{sku}.JRTCKXETXF.6YS6EN2CT7": {"rateCode": f"{sku}.JRTCKXETXF.6YS6EN2CT7",
                    "description": "$0.384 per On Demand Windows x.2xlarge Instance Hour", "beginRange": "0",
                    "endRange": "Inf", "unit": "Hrs", "pricePerUnit": {"USD": "0.3840000000"}, "appliesTo": []}},
                    "termAttributes": {}}}
            f.write("," + json.dumps(sku) + ":" + json.dumps(term))
        f.write('},"Reserved":{}}}')
    return os.path.getsize(path)


def main():
    sizes = [int(a) for a in sys.argv[1:]] or [100, 400]
    if not os.path.exists(BIN):
        sys.exit("build first: cargo build --release")
    print(f"{'offer MB':>9} {'MB/s':>8} {'peak RSS MB':>12}")
    for mb in sizes:
        tmp = tempfile.mkdtemp(prefix="offer-bench-")
        try:
            shutil.copytree(FIXTURES, tmp, dirs_exist_ok=True)
            size = write_ec2(os.path.join(tmp, EC2), mb * 1_000_000)
            out = os.path.join(tmp, "book")
            shutil.copytree(os.path.join(ROOT, "pricing"), out)
            cmd = ["/usr/bin/time", "-v", BIN, "pricing", "update", "--from", tmp, "--regions", "us-east-1", "--out", out]
            r = subprocess.run(cmd, capture_output=True, text=True)
            if r.returncode != 0:
                sys.exit(r.stderr)
            rate = re.search(r"AmazonEC2/\S+ \(([\d.]+) MB, \d+ rows kept, ([\d.]+) MB/s\)", r.stderr)
            rss = re.search(r"Maximum resident set size \(kbytes\): (\d+)", r.stderr)
            print(f"{size / 1e6:9.0f} {float(rate.group(2)):8.1f} {int(rss.group(1)) / 1024:12.1f}")
        finally:
            shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
