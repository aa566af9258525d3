//! The store contract: one suite of cases written against the store traits (`support::Store`, that is `SessionStore + IdempotencyStore`, and `FlowStore`), run
//! against the in-memory store, a single Redis and a Redis Cluster (modules `memory`,
//! `single_redis`, `redis_cluster`), plus Redis-only checks (TTLs on every key, faults).
//!
//! - `TESSERA_TEST_REDIS_URL` (default `redis://127.0.0.1:6379`): the single Redis.
//! - `TESSERA_TEST_REDIS_CLUSTER_URL` (e.g. the output of `scripts/redis-cluster.sh start`).
//!
//! When a variable is set (or `CI` is set) and Redis is unreachable, the Redis tests FAIL.
//! Only on a developer machine without the variables do they skip, saying so on stderr.
//! Every Redis test uses its own random key prefix and deletes its keys when it ends.

#[path = "../common/mod.rs"]
mod common;

mod backends;
mod cases;
mod faults;
mod redis_only;
mod support;

/// Runs each contract case of [`cases`] on the in-memory store, a single Redis and the cluster.
macro_rules! contract_suite {
    ($($case:ident),* $(,)?) => {
        mod memory {
            $(#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $case() {
                crate::cases::$case(&crate::backends::memory_backend()).await;
            })*
        }
        mod single_redis {
            $(#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $case() {
                if let Some(b) = crate::backends::single_backend().await {
                    crate::cases::$case(&b).await;
                }
            })*
        }
        mod redis_cluster {
            $(#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $case() {
                if let Some(b) = crate::backends::cluster_backend().await {
                    crate::cases::$case(&b).await;
                }
            })*
        }
    };
}

contract_suite!(
    a_turn_round_trip_saves_bumps_the_version_and_refreshes_the_ttl,
    a_lease_that_ran_out_untouched_still_saves,
    peek_reads_active_sessions_without_taking_the_lease,
    saving_a_turn_records_its_result_only_when_the_save_applies,
    a_turn_saves_its_transcript_with_it_only_when_the_save_applies,
    a_start_turn_creates_its_session_and_records_its_result,
    a_leased_session_is_busy_until_released_or_the_lease_ends,
    stale_or_foreign_commits_are_busy_and_change_nothing,
    a_session_that_expired_during_its_turn_is_not_brought_back,
    racing_turns_have_exactly_one_winner,
    finished_sessions_answer_finished_until_the_marker_ends,
    inactive_sessions_expire_then_are_forgotten,
    idempotency_keeps_the_first_response,
    a_claim_is_settled_only_while_the_key_holds_it,
    an_owner_is_alive_until_its_heartbeat_lapses,
    a_turn_is_saved_with_its_answer_only_under_its_claim,
    a_start_is_created_with_its_answer_only_under_its_claim,
    every_save_writes_its_execution_with_its_token_and_timers,
    a_refused_save_writes_no_execution,
    results_merge_like_result_record_apply,
    results_list_newest_first_in_stable_pages,
    results_are_dropped_after_their_retention,
    flows_publish_atomically_with_unique_public_ids,
    credentials_are_replaced_whole_and_deleted_once,
    records_round_trip_and_lists_are_newest_first,
    a_wait_token_is_taken_exactly_once,
    an_execution_is_written_with_its_wait_token,
    a_wait_token_is_taken_with_its_execution_in_one_call,
    conversation_variables_merge_per_name,
    transcripts_append_in_order_and_keep_the_last_entries,
    a_long_transcript_keeps_exactly_its_last_entries_turn_by_turn,
    due_timers_are_claimed_once_and_again_after_their_lease,
    a_save_writes_the_session_mark_with_the_session,
    accepting_dedupes_bounds_and_decides_the_session_atomically,
    deliveries_stay_pending_until_completed_and_are_reclaimed_after_the_timeout,
    a_session_runs_one_event_at_a_time_in_arrival_order,
    accepting_checks_the_secret_against_the_stored_trigger,
    a_claim_runs_the_heads_in_order_and_the_last_finish_unlocks,
    timer_stats_count_the_scheduled_timers_and_give_the_earliest,
    active_sessions_are_counted_or_estimated,
);

/// Runs checks that need a Redis backend (they look at keys directly) on single Redis and on
/// the cluster.
macro_rules! redis_suite {
    ($($check:ident),* $(,)?) => {
        mod redis_only_single {
            $(#[tokio::test]
            async fn $check() {
                if let Some(b) = crate::backends::single_backend().await {
                    crate::redis_only::$check(&b).await;
                }
            })*
        }
        mod redis_only_cluster {
            $(#[tokio::test]
            async fn $check() {
                if let Some(b) = crate::backends::cluster_backend().await {
                    crate::redis_only::$check(&b).await;
                }
            })*
        }
    };
}

redis_suite!(
    a_foreign_lease_is_given_back_with_its_own_expiry,
    flows_published_by_an_older_version_resolve,
    every_key_but_flows_expires,
    wait_tokens_of_an_older_version_are_still_taken,
    a_transcript_list_gets_its_ttl_when_due,
);
