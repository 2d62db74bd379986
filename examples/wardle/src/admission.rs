//! sample-apiserver's BanFlunder admission: no Flunder may be created under a name that a
//! Fischer lists in `disallowedFlunders`.

use aggregated_apiserver::admission::{Admission, Attributes, Operation};
use aggregated_apiserver::status::ApiError;
use serde_json::Value;

use crate::types::GROUP;

pub struct BanFlunder;

#[async_trait::async_trait]
impl Admission for BanFlunder {
    async fn admit(&self, at: &Attributes<'_>, _: &mut Value) -> Result<(), ApiError> {
        if at.operation != Operation::Create || at.resource.kind != "Flunder" {
            return Ok(());
        }
        let fischers = at.objects.list(GROUP, "fischers", None);
        let banned = fischers.iter().any(|fischer| {
            let disallowed = fischer["disallowedFlunders"].as_array();
            disallowed.is_some_and(|names| names.iter().any(|name| name == at.name))
        });
        if banned {
            return Err(ApiError::forbidden_object(
                at.resource,
                at.name,
                "this name may not be used, please change the resource name",
            ));
        }
        Ok(())
    }
}
