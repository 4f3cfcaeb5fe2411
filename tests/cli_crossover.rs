//! `emrcost crossover`: exact crossovers for a shape, checked by hand.

use crate::util::{emrcost, stdout_of};

fn json(args: &[&str]) -> serde_json::Value {
    let mut full = vec!["crossover", "--format", "json"];
    full.extend_from_slice(args);
    serde_json::from_str(&stdout_of(emrcost().args(&full))).unwrap()
}

/// 10 executors of 4 vCPU / 14 GB heap (15.4 GB with overhead) on
/// m5.4xlarge in us-east-1: 16 vcores, 57344 MB YARN -> 3 executors per node
/// (memory bound), so 4 core nodes. The 15.4 GB driver does not fit
/// m5.xlarge's 12288 MB, so the primary is an m5.2xlarge (24576 MB).
///
/// Core node: $0.768 + $0.192 + 256 GiB x $0.08/730 = $0.988055/h; primary
/// $0.384 + $0.096 + 128 GiB x $0.08/730 = $0.494027/h; cluster $4.446247/h.
/// Serverless: 11 workers of 4 vCPU / 16 GB = 11 x $0.302952 = $3.332472/h.
/// EC2 costs more per hour and pays 210 s of provisioning and 60 s of
/// teardown on top, so EMR Serverless is cheaper at every runtime: no
/// crossover.
#[test]
fn on_demand_ec2_never_beats_serverless_for_this_shape() {
    let v = json(&[
        "--executors",
        "10",
        "--executor-vcpu",
        "4",
        "--executor-memory-gb",
        "14",
        "--instance-type",
        "m5.4xlarge",
    ]);
    let plan = v["plans"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p[0] == "ec2_on_demand")
        .unwrap();
    let text = plan[1].as_str().unwrap();
    assert!(
        text.starts_with(
            "4 core node(s) of m5.4xlarge (3 executor(s) each) + 1 primary m5.2xlarge"
        ),
        "{text}"
    );
    assert!(text.contains("$4.4462/h"), "{text}");
    let p = v["analysis"]["pairs"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["a"] == "emr_serverless" && p["b"] == "ec2_on_demand")
        .unwrap();
    assert_eq!(p["crossovers"].as_array().unwrap().len(), 0, "{p}");
    assert_eq!(p["cheaper_at_start"], "emr_serverless");
}

/// With Spot at 60% off, EC2 becomes cheaper per hour, so there is exactly
/// one crossover with EMR Serverless, at the runtime solved by hand.
#[test]
fn spot_crossover_is_exact_to_the_second() {
    let v = json(&[
        "--executors",
        "10",
        "--executor-vcpu",
        "4",
        "--executor-memory-gb",
        "14",
        "--instance-type",
        "m5.4xlarge",
        "--spot-discount",
        "0.6",
    ]);
    let p = v["analysis"]["pairs"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["a"] == "emr_serverless" && p["b"] == "ec2_spot")
        .unwrap()
        .clone();
    let xs = p["crossovers"].as_array().unwrap();
    assert_eq!(xs.len(), 1, "{p}");
    let serverless_hour = 11.0 * 0.302952;
    let spot_node = 0.768 * 0.4 + 0.192 + 256.0 * 0.08 / 730.0;
    let primary = 0.384 + 0.096 + 128.0 * 0.08 / 730.0;
    let spot_hour = 4.0 * spot_node + primary;
    // 210 s provisioning + 60 s teardown, billed on every node.
    let expected = spot_hour * 270.0 / (serverless_hour - spot_hour);
    let got = xs[0]["runtime_s"].as_f64().unwrap();
    assert!((got - expected).abs() < 0.5, "{got} vs {expected}");
    assert_eq!(xs[0]["cheaper_below"], "emr_serverless");
    assert_eq!(xs[0]["cheaper_above"], "ec2_spot");
}

#[test]
fn table_shows_samples_and_assumptions() {
    let out = stdout_of(emrcost().args([
        "crossover",
        "--executors",
        "20",
        "--executor-vcpu",
        "4",
        "--executor-memory-gb",
        "14",
        "--region",
        "eu-west-1",
        "--arch",
        "arm64",
    ]));
    for needle in [
        "Crossovers (exact, to the second)",
        "Cost by runtime",
        "8h 00m 00s",
        "Assumptions",
        "ec2_provisioning_seconds",
        "Prices: snapshot",
    ] {
        assert!(out.contains(needle), "{needle} missing:\n{out}");
    }
}

#[test]
fn glue_one_zero_has_a_ten_minute_minimum() {
    let v = json(&[
        "--executors",
        "1",
        "--executor-vcpu",
        "4",
        "--executor-memory-gb",
        "14",
        "--glue-version",
        "1.0",
    ]);
    let curves = v["curves"].as_array().unwrap();
    let glue = curves.iter().find(|c| c[0] == "glue_standard").unwrap();
    assert_eq!(glue[1]["minimum_s"], 600.0);
    assert!(
        curves.iter().all(|c| c[0] != "glue_flex"),
        "no Flex before Glue 3.0"
    );
}

/// us-east-2 has EMR Serverless and Glue prices but no EC2 prices in the
/// book: the options that can be priced are still compared, and EMR on EC2
/// is listed with the reason.
#[test]
fn region_without_ec2_prices_still_compares_the_rest() {
    let v = json(&[
        "--executors",
        "4",
        "--executor-vcpu",
        "4",
        "--executor-memory-gb",
        "14",
        "--region",
        "us-east-2",
    ]);
    let options: Vec<&str> = v["options"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o.as_str().unwrap())
        .collect();
    assert_eq!(options, ["emr_serverless", "glue_standard", "glue_flex"]);
    let plans = v["plans"].as_array().unwrap();
    let ec2 = plans.iter().find(|p| p[0] == "ec2_on_demand").unwrap();
    assert!(
        ec2[1]
            .as_str()
            .unwrap()
            .contains("not priced: no EMR on EC2 prices at all for region 'us-east-2'"),
        "{ec2}"
    );
}

/// A 30% Savings Plan on EC2 moves the crossover: 10 executors of 4 vCPU /
/// 14 GB on m5.8xlarge (7 a node by YARN memory: 2 core nodes, 512 GiB of
/// default EBS each) with an m5.2xlarge primary, in us-east-1.
/// List: core $1.536 + $0.27 + 512 x $0.08/730 a node, primary $0.384 +
/// $0.096 + 128 x $0.08/730: $4.2182/h, above EMR Serverless's 11 x
/// $0.302952 = $3.3325/h, so no crossover. With 30% off the EC2 part only
/// (not the uplift, not EBS): $3.1814/h, and EC2 wins past the runtime
/// where 270 s of provisioning and teardown are paid back.
#[test]
fn an_ec2_discount_moves_the_crossover() {
    let args = [
        "--executors",
        "10",
        "--executor-vcpu",
        "4",
        "--executor-memory-gb",
        "14",
        "--instance-type",
        "m5.8xlarge",
    ];
    let pair = |v: &serde_json::Value| {
        v["analysis"]["pairs"]
            .as_array()
            .unwrap()
            .iter()
            .find(|p| p["a"] == "emr_serverless" && p["b"] == "ec2_on_demand")
            .unwrap()
            .clone()
    };
    let list = json(&args);
    assert_eq!(pair(&list)["crossovers"].as_array().unwrap().len(), 0);

    let mut with = args.to_vec();
    with.extend(["--ec2-discount", "0.3"]);
    let v = json(&with);
    let serverless_hour = 11.0 * 0.302952;
    let ebs = |gib: f64| gib * 0.08 / 730.0;
    let cluster = 2.0 * (1.536 * 0.7 + 0.27 + ebs(512.0)) + (0.384 * 0.7 + 0.096 + ebs(128.0));
    let expected = cluster * 270.0 / (serverless_hour - cluster);
    let xs = pair(&v)["crossovers"].as_array().unwrap().clone();
    assert_eq!(xs.len(), 1, "{xs:?}");
    let got = xs[0]["runtime_s"].as_f64().unwrap();
    assert!((got - expected).abs() < 0.5, "{got} vs {expected}");
    assert_eq!(xs[0]["cheaper_above"], "ec2_on_demand");
    let text = serde_json::to_string(&v).unwrap();
    assert!(
        text.contains("30.0% off the EC2 part of on-demand instances"),
        "the assumption is printed"
    );

    // An enterprise discount scales every option alike: the crossover
    // stays where it was.
    with.extend(["--edp-discount", "0.1"]);
    let edp = json(&with);
    let got_edp = pair(&edp)["crossovers"][0]["runtime_s"].as_f64().unwrap();
    assert!((got_edp - got).abs() < 1e-6, "{got_edp} vs {got}");
}
