//! Reads executor and driver sizes out of `sparkSubmitParameters`.

/// The sizing settings found in a `spark-submit` parameter string.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SparkParams {
    pub executor_cores: Option<f64>,
    pub executor_memory_gb: Option<f64>,
    pub executor_disk_gb: Option<f64>,
    pub driver_cores: Option<f64>,
    pub driver_memory_gb: Option<f64>,
    pub executor_instances: Option<u32>,
    pub max_executors: Option<u32>,
    /// `spark.dynamicAllocation.initialExecutors`.
    pub initial_executors: Option<u32>,
}

impl SparkParams {
    /// Parses `--conf k=v` pairs and the `--executor-cores`-style flags.
    /// Unknown settings are ignored; a value that cannot be read is an error
    /// naming the setting.
    pub fn parse(params: &str) -> Result<SparkParams, String> {
        let mut out = SparkParams::default();
        let tokens: Vec<&str> = params.split_whitespace().collect();
        let mut i = 0;
        while i < tokens.len() {
            let tok = tokens[i];
            let (key, value) = if tok == "--conf" {
                i += 1;
                match tokens.get(i).and_then(|kv| kv.split_once('=')) {
                    Some((k, v)) => (k.to_string(), v.trim_matches(['"', '\'']).to_string()),
                    None => {
                        i += 1;
                        continue;
                    }
                }
            } else if let Some(flag) = tok.strip_prefix("--") {
                let key = match flag {
                    "executor-cores" => "spark.executor.cores",
                    "executor-memory" => "spark.executor.memory",
                    "driver-cores" => "spark.driver.cores",
                    "driver-memory" => "spark.driver.memory",
                    "num-executors" => "spark.executor.instances",
                    _ => {
                        i += 1;
                        continue;
                    }
                };
                i += 1;
                match tokens.get(i) {
                    Some(v) => (key.to_string(), v.to_string()),
                    None => break,
                }
            } else {
                i += 1;
                continue;
            };
            out.apply(&key, &value)?;
            i += 1;
        }
        Ok(out)
    }

    fn apply(&mut self, key: &str, value: &str) -> Result<(), String> {
        let number = |v: &str| -> Result<f64, String> {
            v.parse::<f64>()
                .ok()
                .filter(|n| n.is_finite() && *n > 0.0)
                .ok_or_else(|| format!("{key}={v} is not a positive number"))
        };
        let count = |v: &str| -> Result<u32, String> {
            v.parse::<u32>()
                .map_err(|_| format!("{key}={v} is not a whole number"))
        };
        let memory = |v: &str| parse_memory_gb(v).map_err(|e| format!("{key}={v}: {e}"));
        match key {
            "spark.executor.cores" => self.executor_cores = Some(number(value)?),
            "spark.executor.memory" => self.executor_memory_gb = Some(memory(value)?),
            "spark.driver.cores" => self.driver_cores = Some(number(value)?),
            "spark.driver.memory" => self.driver_memory_gb = Some(memory(value)?),
            "spark.emr-serverless.executor.disk" => self.executor_disk_gb = Some(memory(value)?),
            "spark.executor.instances" => self.executor_instances = Some(count(value)?),
            "spark.dynamicAllocation.initialExecutors" => {
                self.initial_executors = Some(count(value)?)
            }
            // Spark's "infinity" default for maxExecutors is no limit.
            "spark.dynamicAllocation.maxExecutors"
                if value != "infinity" && value != "2147483647" =>
            {
                self.max_executors = Some(count(value)?)
            }
            _ => {}
        }
        Ok(())
    }

    /// Maximum executors: `maxExecutors` if set, else `spark.executor.instances`.
    pub fn executor_limit(&self) -> Option<u32> {
        self.max_executors.or(self.executor_instances)
    }
}

/// Parses a JVM/Spark memory size (`14g`, `16384m`, `1t`, `512k`; a bare
/// number is MiB, as Spark reads it) into GB (GiB).
pub fn parse_memory_gb(raw: &str) -> Result<f64, String> {
    let s = raw.trim().to_ascii_lowercase();
    let s = s.strip_suffix('b').unwrap_or(&s);
    let (digits, per_gb) = match s.chars().last() {
        Some('t') => (&s[..s.len() - 1], 1.0 / 1024.0),
        Some('g') => (&s[..s.len() - 1], 1.0),
        Some('m') => (&s[..s.len() - 1], 1024.0),
        Some('k') => (&s[..s.len() - 1], 1024.0 * 1024.0),
        _ => (s, 1024.0),
    };
    match digits.parse::<f64>() {
        Ok(v) if v.is_finite() && v > 0.0 => Ok(v / per_gb),
        _ => Err(format!(
            "'{raw}' is not a memory size; use forms like 14g or 16384m"
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_conf_and_flags() {
        let p = SparkParams::parse(
            "--class Main --conf spark.executor.cores=8 --conf spark.executor.memory=28g \
             --driver-memory 4096m --conf spark.dynamicAllocation.maxExecutors=50 \
             --conf spark.emr-serverless.executor.disk=100g --num-executors 3",
        )
        .unwrap();
        assert_eq!(p.executor_cores, Some(8.0));
        assert_eq!(p.executor_memory_gb, Some(28.0));
        assert_eq!(p.driver_memory_gb, Some(4.0));
        assert_eq!(p.executor_disk_gb, Some(100.0));
        assert_eq!(p.executor_limit(), Some(50));
    }

    #[test]
    fn bad_values_name_the_setting() {
        let err = SparkParams::parse("--conf spark.executor.memory=lots").unwrap_err();
        assert!(err.contains("spark.executor.memory=lots"), "{err}");
        assert_eq!(parse_memory_gb("2048").unwrap(), 2.0);
        assert_eq!(parse_memory_gb("1t").unwrap(), 1024.0);
    }
}
