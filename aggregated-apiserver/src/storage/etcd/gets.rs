//! Gets of single keys that arrive together share one etcd read: while a batch is at etcd,
//! the gets that arrive meanwhile wait and then go together as one read-only transaction. Each
//! is still a quorum read that started after it was asked for, so it sees every write
//! acknowledged before; etcd does one read-index round for the batch instead of one per get.

use std::mem;
use std::sync::{Arc, Mutex};

use tokio::sync::oneshot;

use super::client::{Client, chain};
use super::proto::{TxnRequest, response_op};
use super::{get_op, key_value};
use crate::storage::{KeyValue, Result, StorageError};

/// etcd's default `--max-txn-ops`.
const MAX_BATCH: usize = 128;

type Answer = oneshot::Sender<Result<Option<KeyValue>>>;

/// The gets waiting for the next batch, and whether a batch is at etcd.
#[derive(Default)]
struct Pending {
    gets: Vec<(String, Answer)>,
    reading: bool,
}

#[derive(Clone, Default)]
pub struct Gets {
    pending: Arc<Mutex<Pending>>,
}

impl Gets {
    /// The current value of `key`, read in the next batch.
    pub async fn get(&self, client: &Arc<Client>, key: &str) -> Result<Option<KeyValue>> {
        let (answer, answered) = oneshot::channel();
        let start = {
            let mut pending = self.lock();
            pending.gets.push((key.to_owned(), answer));
            !mem::replace(&mut pending.reading, true)
        };
        // The batches are read by a task of their own, so that a get whose caller goes away
        // does not leave the others waiting.
        if start {
            tokio::spawn(self.clone().read(client.clone()));
        }
        answered
            .await
            .map_err(|_| StorageError::Internal("etcd: a batched read was lost".into()))?
    }

    /// Reads batches until none is waiting.
    async fn read(self, client: Arc<Client>) {
        loop {
            let batch: Vec<(String, Answer)> = {
                let mut pending = self.lock();
                if pending.gets.is_empty() {
                    pending.reading = false;
                    return;
                }
                let take = pending.gets.len().min(MAX_BATCH);
                pending.gets.drain(..take).collect()
            };
            let request = TxnRequest {
                success: batch.iter().map(|(key, _)| get_op(key)).collect(),
                ..Default::default()
            };
            match client.read_txn(request).await {
                Ok(response) => {
                    let mut responses = response.responses.into_iter();
                    for (key, answer) in batch {
                        let _ = answer.send(value(responses.next(), &key));
                    }
                }
                Err(status) => {
                    let error = StorageError::Internal(format!("etcd: {}", chain(&status)));
                    for (_, answer) in batch {
                        let _ = answer.send(Err(error.clone()));
                    }
                }
            }
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Pending> {
        self.pending.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// The key's value from its range's response in the transaction.
fn value(response: Option<super::proto::ResponseOp>, key: &str) -> Result<Option<KeyValue>> {
    match response.and_then(|op| op.response) {
        Some(response_op::Response::Range(range)) => {
            range.kvs.into_iter().next().map(key_value).transpose()
        }
        _ => Err(StorageError::Internal(format!(
            "etcd answered no range for {key}"
        ))),
    }
}
