//! The deployment options a job can be priced on.

use std::fmt;

use serde::Serialize;

/// One way to run a Spark job on AWS.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum DeploymentOption {
    EmrServerless,
    Ec2OnDemand,
    Ec2Spot,
    GlueStandard,
    GlueFlex,
    EmrOnEks,
}

impl DeploymentOption {
    pub const ALL: [DeploymentOption; 6] = [
        DeploymentOption::EmrServerless,
        DeploymentOption::Ec2OnDemand,
        DeploymentOption::Ec2Spot,
        DeploymentOption::GlueStandard,
        DeploymentOption::GlueFlex,
        DeploymentOption::EmrOnEks,
    ];

    /// Human label used in tables and Markdown.
    pub fn label(self) -> &'static str {
        match self {
            DeploymentOption::EmrServerless => "EMR Serverless",
            DeploymentOption::Ec2OnDemand => "EMR on EC2",
            DeploymentOption::Ec2Spot => "EMR on EC2 (Spot)",
            DeploymentOption::GlueStandard => "Glue",
            DeploymentOption::GlueFlex => "Glue Flex",
            DeploymentOption::EmrOnEks => "EMR on EKS",
        }
    }

    /// Stable machine name used in CSV and JSON.
    pub fn key(self) -> &'static str {
        match self {
            DeploymentOption::EmrServerless => "emr_serverless",
            DeploymentOption::Ec2OnDemand => "ec2_on_demand",
            DeploymentOption::Ec2Spot => "ec2_spot",
            DeploymentOption::GlueStandard => "glue_standard",
            DeploymentOption::GlueFlex => "glue_flex",
            DeploymentOption::EmrOnEks => "emr_on_eks",
        }
    }
}

impl fmt::Display for DeploymentOption {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.label())
    }
}
