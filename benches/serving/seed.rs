//! Filling a server with the objects the scenarios read and write: `bench-000000`,
//! `bench-000001`, … created by several connections at once.

use std::ops::Range;

use http::{Method, StatusCode};

use crate::endpoint::Endpoint;
use crate::load::{Call, Connection, JSON, Protocol};
use crate::scenarios::seeded_name;

/// Connections creating at once.
const WRITERS: usize = 16;

/// Creates the seeded objects numbered `range` in `endpoint` (one that exists already is
/// left as it is).
pub async fn seed(endpoint: &Endpoint, range: Range<usize>) -> anyhow::Result<()> {
    let mut writers = Vec::new();
    for writer in 0..WRITERS {
        let connection = Connection::open(endpoint, Protocol::Http2).await?;
        let endpoint = endpoint.clone();
        let range = range.clone();
        writers.push(tokio::spawn(async move {
            for index in range.skip(writer).step_by(WRITERS) {
                let body = endpoint.shape.object(&seeded_name(index)).to_string();
                let call = Call::with_body(Method::POST, endpoint.collection.clone(), JSON, body);
                let answer = connection.send(&call).await?;
                if answer.status != StatusCode::CONFLICT {
                    answer.ok(&call)?;
                }
            }
            anyhow::Ok(())
        }));
    }
    for writer in writers {
        writer.await??;
    }
    Ok(())
}
