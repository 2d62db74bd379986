//! Connect-style subresources (`POST <name>/<subresource>`), such as Foo's `bar`: the strategy
//! decides the change and the answer, the store writes it atomically.

use std::time::Duration;

use serde_json::Value;

use super::object::ObjectId;
use super::store::{Caller, Store};
use super::{ResourceRequest, Strategy};
use crate::admission::Operation;
use crate::status::ApiError;

/// Concurrent actions on one object race on its resourceVersion; the losers try again.
const MAX_ATTEMPTS: u32 = 1000;

impl<S: Strategy> Store<S> {
    /// Runs the action `subresource` on the object, and gives its answer.
    pub(crate) async fn connect(
        &self,
        id: ObjectId<'_>,
        subresource: &str,
        request: &ResourceRequest,
    ) -> Result<Value, ApiError> {
        let dry_run = request.query.dry_run("CreateOptions")?;
        let caller = Caller {
            user: &request.user,
            dry_run,
        };
        for attempt in 0..MAX_ATTEMPTS {
            let current = self.load(id).await?;
            let write = self.admitting(
                Operation::Connect,
                Some(subresource),
                id,
                Some(&current.object),
                caller,
            )?;
            self.admitted(&write, None).await?;
            let connected = self
                .strategy
                .connect(subresource, &current.object, &request.query)?;
            if !dry_run {
                match self.write(id, connected.object, &current, false).await {
                    Err(e) if e.code == 409 && e.reason == "Conflict" => {
                        // A short, growing pause spreads the retries of many concurrent callers.
                        let pause = u64::from(attempt.min(20)) * 2;
                        tokio::time::sleep(Duration::from_millis(pause)).await;
                        continue;
                    }
                    result => {
                        result?;
                    }
                }
            }
            return Ok(connected.answer);
        }
        Err(ApiError::modified(self.strategy.info(), id.name))
    }
}
