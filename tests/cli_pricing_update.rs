//! `emrcost pricing update` and `pricing diff` against offer files in the
//! real format (tests/fixtures/offers, written by make.py there).

use std::path::{Path, PathBuf};

use predicates::prelude::*;

use crate::util::{emrcost, repo, stdout_of};

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).unwrap();
        }
    }
}

fn offers() -> PathBuf {
    repo().join("tests/fixtures/offers")
}

/// A copy of the committed price book to update in place.
fn book_copy(dir: &Path) -> PathBuf {
    let out = dir.join("book");
    std::fs::create_dir_all(&out).unwrap();
    for entry in std::fs::read_dir(repo().join("pricing")).unwrap() {
        let p = entry.unwrap().path();
        if p.extension().is_some_and(|e| e == "csv") {
            std::fs::copy(&p, out.join(p.file_name().unwrap())).unwrap();
        }
    }
    out
}

fn snapshot_bytes(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let mut files: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_file())
        .map(|p| {
            (
                p.file_name().unwrap().to_string_lossy().to_string(),
                std::fs::read(&p).unwrap(),
            )
        })
        .collect();
    files.sort();
    files
}

fn update(from: &Path, out: &Path) -> assert_cmd::assert::Assert {
    emrcost()
        .args([
            "pricing",
            "update",
            "--regions",
            "us-east-1,eu-west-1",
            "--from",
        ])
        .arg(from)
        .arg("--out")
        .arg(out)
        .assert()
}

fn row<'a>(csv: &'a str, prefix: &str) -> &'a str {
    csv.lines()
        .find(|l| l.starts_with(prefix))
        .unwrap_or_else(|| panic!("no row {prefix} in\n{csv}"))
}

#[test]
fn refreshed_snapshot_has_exactly_the_fixture_prices() {
    let dir = tempfile::tempdir().unwrap();
    let out = book_copy(dir.path());
    update(&offers(), &out).success();
    let read = |f: &str| std::fs::read_to_string(out.join(f)).unwrap();

    let ec2 = read("ec2_prices.csv");
    // Linux/Shared/NA/Used only: not the Windows ($0.376) or Dedicated rows.
    assert!(row(&ec2, "us-east-1,m5.xlarge,")
        .starts_with("us-east-1,m5.xlarge,0.192,0.048,aws-price-list-AmazonEC2,aws,2026-10-01"));
    assert!(row(&ec2, "eu-west-1,m7i.xlarge,")
        .starts_with("eu-west-1,m7i.xlarge,0.2246,0.0504,aws-price-list-AmazonEC2,aws,"));
    // A large type: EC2 $2.304 + EMR $0.27 = $2.574 an hour (FACTS.md
    // section 3), its YARN memory kept from the Release Guide row.
    assert!(row(&ec2, "us-east-1,m5.12xlarge,")
        .starts_with("us-east-1,m5.12xlarge,2.304,0.27,aws-price-list-AmazonEC2,aws,2026-10-01"));
    assert!(row(&ec2, "eu-west-1,m5.12xlarge,").starts_with("eu-west-1,m5.12xlarge,2.568,0.27,"));
    assert!(
        !ec2.contains("t3.micro"),
        "EMR does not offer t3.micro in the fixtures"
    );
    // Rows outside the refreshed regions keep their source and stay unverified.
    assert!(row(&ec2, "us-west-2,m5.xlarge,").contains(",skypilot-ec2-emr-as-use1,unverified,"));
    // Rows of refreshed regions the offers lack stay as they were, too.
    assert!(row(&ec2, "us-east-1,c5.xlarge,").contains(",facts-emr-use1,unverified,"));

    let serverless = read("serverless.csv");
    assert_eq!(
        row(&serverless, "eu-west-1,arm64,"),
        "eu-west-1,arm64,0.0421,0.00463,0.000122,aws-price-list-ElasticMapReduce,aws,2026-10-01"
    );
    assert_eq!(
        row(&serverless, "us-east-1,x86_64,"),
        "us-east-1,x86_64,0.052624,0.0057785,0.000111,aws-price-list-ElasticMapReduce,aws,2026-10-01"
    );
    assert!(row(&serverless, "us-west-2,arm64,").contains(",facts-arm64,unverified,"));

    // EMR on EKS: the EC2 meters of us-east-1 (not Fargate's); eu-west-1's
    // offer has none, so its row is kept with its own source.
    let eks = read("eks_prices.csv");
    assert_eq!(
        row(&eks, "us-east-1,"),
        "us-east-1,ec2,0.01013,0.001112,aws-price-list-ElasticMapReduce,aws,2026-10-01"
    );
    assert!(row(&eks, "eu-west-1,").contains(",eks-as-usw2,unverified,"));

    let ebs = read("ebs.csv");
    assert_eq!(
        row(&ebs, "eu-west-1,gp3,"),
        "eu-west-1,gp3,0.088,aws-price-list-AmazonEC2,aws,2026-10-01"
    );
    let glue = read("glue_prices.csv");
    assert!(row(&glue, "us-east-1,flex,")
        .starts_with("us-east-1,flex,0.29,aws-price-list-AWSGlue,aws,"));

    // A type the book did not know gets derived YARN settings, marked derived.
    let types = read("instance_types.csv");
    assert!(row(&types, "m6a.xlarge,")
        .starts_with("m6a.xlarge,x86_64,4,16,12288,4,64,derived-yarn-defaults,derived,"));
    // Known types keep their Release Guide YARN values.
    assert!(row(&types, "m7i.xlarge,")
        .starts_with("m7i.xlarge,x86_64,4,16,11712,4,64,emr-task-config,"));
    assert!(row(&types, "m5.12xlarge,").contains(",188416,48,768,emr-task-config,"));
    assert!(read("snapshot.csv").contains("aws-price-list-2026-11-01"));

    // The refreshed book prices jobs.
    emrcost()
        .args([
            "crossover",
            "--executors",
            "4",
            "--executor-vcpu",
            "4",
            "--executor-memory-gb",
            "14",
            "--pricing",
        ])
        .arg(&out)
        .assert()
        .success()
        .stdout(predicate::str::contains(
            "aws-price-list-ElasticMapReduce aws 2026-10-01",
        ));
}

#[test]
fn rerunning_on_the_same_input_is_byte_identical() {
    let dir = tempfile::tempdir().unwrap();
    let a = book_copy(&dir.path().join("a"));
    let b = book_copy(&dir.path().join("b"));
    update(&offers(), &a).success();
    update(&offers(), &b).success();
    assert_eq!(snapshot_bytes(&a), snapshot_bytes(&b));
    let before = snapshot_bytes(&a);
    update(&offers(), &a).success();
    assert_eq!(
        before,
        snapshot_bytes(&a),
        "a second run over its own output changes nothing"
    );
}

/// Each bad input is refused with a message naming the file, and the old
/// snapshot is left byte for byte as it was.
#[test]
fn bad_offers_leave_the_old_snapshot_untouched() {
    type Break = fn(&Path);
    let cases: [(&str, Break, &str); 4] = [
        (
            "missing service",
            |root| {
                let p = root.join("offers/v1.0/aws/index.json");
                let mut v: serde_json::Value =
                    serde_json::from_str(&std::fs::read_to_string(&p).unwrap()).unwrap();
                v["offers"].as_object_mut().unwrap().remove("AWSGlue");
                std::fs::write(p, v.to_string()).unwrap();
            },
            "the service index has no entry for AWSGlue",
        ),
        (
            "region with no rows",
            |root| {
                let p = root.join("offers/v1.0/aws/AWSGlue/20261101000000/eu-west-1/index.json");
                let text = std::fs::read_to_string(&p)
                    .unwrap()
                    .replace("ETL-DPU-Hour", "Crawler-DPU-Hour")
                    .replace("ETL-Flex-DPU-Hour", "Crawler-DPU-Hour");
                std::fs::write(p, text).unwrap();
            },
            "no rows the price book needs for AWSGlue in eu-west-1",
        ),
        (
            "price that is not a number",
            |root| {
                let p = root.join("offers/v1.0/aws/AmazonEC2/20261101000000/us-east-1/index.json");
                let text = std::fs::read_to_string(&p).unwrap().replacen(
                    "\"0.1920000000\"",
                    "\"0.19two\"",
                    1,
                );
                std::fs::write(p, text).unwrap();
            },
            "price '0.19two' is not a non-negative number",
        ),
        (
            "two rows for one key with different prices",
            |root| {
                let p = root.join("offers/v1.0/aws/AmazonEC2/20261101000000/eu-west-1/index.json");
                let mut v: serde_json::Value =
                    serde_json::from_str(&std::fs::read_to_string(&p).unwrap()).unwrap();
                let (sku, product) = v["products"]
                    .as_object()
                    .unwrap()
                    .iter()
                    .find(|(_, p)| {
                        p["attributes"]["instanceType"] == "m5.xlarge"
                            && p["attributes"]["operatingSystem"] == "Linux"
                            && p["attributes"]["tenancy"] == "Shared"
                            && p["attributes"]["capacitystatus"] == "Used"
                    })
                    .map(|(k, p)| (k.clone(), p.clone()))
                    .unwrap();
                let mut term = v["terms"]["OnDemand"][&sku].clone();
                let text = term.to_string().replace("0.2140000000", "0.2150000000");
                term = serde_json::from_str(&text).unwrap();
                v["products"]["ZZZDUPLICATE"] = product;
                v["terms"]["OnDemand"]["ZZZDUPLICATE"] = term;
                std::fs::write(p, v.to_string()).unwrap();
            },
            "two rows for EC2 eu-west-1 m5.xlarge with different prices: 0.214",
        ),
    ];
    for (name, break_it, expected) in cases {
        let dir = tempfile::tempdir().unwrap();
        let source = dir.path().join("src");
        copy_dir(&offers(), &source);
        break_it(&source);
        let out = book_copy(dir.path());
        let before = snapshot_bytes(&out);
        update(&source, &out)
            .code(1)
            .stderr(predicate::str::contains(expected))
            .stderr(predicate::str::contains("the snapshot was not changed"));
        assert_eq!(
            before,
            snapshot_bytes(&out),
            "{name}: the old snapshot was modified"
        );
    }
}

#[test]
fn diff_lists_added_changed_and_confirmed_prices() {
    let dir = tempfile::tempdir().unwrap();
    let out = book_copy(dir.path());
    update(&offers(), &out).success();
    let text = stdout_of(
        emrcost()
            .args(["pricing", "diff", "--format", "csv", "builtin"])
            .arg(&out),
    );
    assert!(text.contains("changed,EMR Serverless,eu-west-1 arm64,vcpu_hour_usd,0.042094,0.0421,+0.01%,unverified -> aws"), "{text}");
    assert!(
        text.contains("added,EMR on EC2,us-east-1 m6a.xlarge,ec2_hour_usd,,0.1728,,aws"),
        "{text}"
    );
    assert!(
        text.contains(
            "confirmed,EMR on EC2,us-east-1 m7i.xlarge,emr_hour_usd,0.0504,0.0504,,derived -> aws"
        ),
        "{text}"
    );
    assert!(
        text.contains(
            "confirmed,EMR on EC2,us-east-1 m5.12xlarge,emr_hour_usd,0.27,0.27,,unverified -> aws"
        ),
        "{text}"
    );
    assert!(
        text.contains("confirmed,Glue,us-east-1 standard,dpu_hour_usd,0.44,0.44,,gen -> aws"),
        "{text}"
    );
    let same = stdout_of(
        emrcost()
            .args(["pricing", "diff", "builtin"])
            .arg(repo().join("pricing")),
    );
    assert!(same.contains("0 difference(s)"), "{same}");
}

/// The URL path, against the fixtures served on loopback.
#[test]
fn update_from_a_url() {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let mut server = std::process::Command::new("python3")
        .args([
            "-m",
            "http.server",
            "--bind",
            "127.0.0.1",
            &port.to_string(),
            "--directory",
        ])
        .arg(offers())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("python3 is on the machine");
    struct Kill<'a>(&'a mut std::process::Child);
    impl Drop for Kill<'_> {
        fn drop(&mut self) {
            let _ = self.0.kill();
            let _ = self.0.wait();
        }
    }
    let _guard = Kill(&mut server);
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(15);
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(
            std::time::Instant::now() < deadline,
            "http.server did not start"
        );
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    let dir = tempfile::tempdir().unwrap();
    let out = book_copy(dir.path());
    emrcost()
        .args([
            "pricing",
            "update",
            "--regions",
            "us-east-1,eu-west-1",
            "--from",
        ])
        .arg(format!("http://127.0.0.1:{port}"))
        .arg("--out")
        .arg(&out)
        .assert()
        .success();
    let ec2 = std::fs::read_to_string(out.join("ec2_prices.csv")).unwrap();
    assert!(ec2.contains("us-east-1,m7i.xlarge,0.2016,0.0504,aws-price-list-AmazonEC2,aws,"));
}
