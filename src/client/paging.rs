//! Offset pagination as a stream: the page fetcher behind every generated
//! `*_stream` method.

use std::collections::VecDeque;
use std::future::Future;

use futures_util::stream::{self, Stream};

use super::models::PaginatedList;
use crate::backend::error::Error;

/// The page size when the caller sets no `limit`.
const DEFAULT_PAGE: i64 = 100;

struct State<T, F> {
    fetch: F,
    limit: i64,
    offset: i64,
    buffered: VecDeque<T>,
    done: bool,
}

/// Every item of an offset-paginated list: `fetch(limit, offset)` gets one
/// page, called lazily when the items of the previous one are used up.
///
/// The stream ends on a page shorter than `limit` (an empty one included),
/// when `offset` reaches the page's `total_count`, and after the first error
/// (which it yields).
pub(crate) fn items<T, F, Fut>(
    limit: Option<i64>,
    offset: Option<i64>,
    fetch: F,
) -> impl Stream<Item = Result<T, Error>>
where
    F: FnMut(i64, i64) -> Fut,
    Fut: Future<Output = Result<PaginatedList<T>, Error>>,
{
    let state = State {
        fetch,
        limit: limit.filter(|l| *l > 0).unwrap_or(DEFAULT_PAGE),
        offset: offset.filter(|o| *o > 0).unwrap_or(0),
        buffered: VecDeque::new(),
        done: false,
    };
    stream::unfold(state, |mut state| async move {
        loop {
            if let Some(item) = state.buffered.pop_front() {
                return Some((Ok(item), state));
            }
            if state.done {
                return None;
            }
            match (state.fetch)(state.limit, state.offset).await {
                Ok(page) => {
                    let count = i64::try_from(page.data.len()).unwrap_or(i64::MAX);
                    state.offset = state.offset.saturating_add(count);
                    let total = i64::try_from(page.total_count).unwrap_or(i64::MAX);
                    if count < state.limit || count == 0 || state.offset >= total {
                        state.done = true;
                    }
                    state.buffered.extend(page.data);
                }
                Err(e) => {
                    state.done = true;
                    return Some((Err(e), state));
                }
            }
        }
    })
}

/// The variants of a model's example that the generated table test decodes:
/// the example, `{}`, every field `null`, and the example with an unknown
/// field and every string replaced by a value no enum knows.
#[cfg(test)]
pub(crate) fn test_cases(example: &serde_json::Value) -> Vec<(&'static str, serde_json::Value)> {
    use serde_json::Value;

    fn unknown_strings(value: &Value) -> Value {
        match value {
            Value::String(_) => Value::String("zz_value_from_the_future".into()),
            Value::Array(items) => Value::Array(items.iter().map(unknown_strings).collect()),
            Value::Object(map) => {
                let mut map: serde_json::Map<String, Value> = map
                    .iter()
                    .map(|(k, v)| (k.clone(), unknown_strings(v)))
                    .collect();
                map.insert("zz_field_from_the_future".into(), Value::Bool(true));
                Value::Object(map)
            }
            other => other.clone(),
        }
    }

    let mut cases = vec![("example", example.clone())];
    if let Value::Object(map) = example {
        cases.push(("{}", Value::Object(serde_json::Map::new())));
        let nulls = map.keys().map(|k| (k.clone(), Value::Null)).collect();
        cases.push(("all null", Value::Object(nulls)));
    }
    cases.push(("unknown fields and values", unknown_strings(example)));
    cases
}

#[cfg(test)]
mod tests {
    use super::*;
    use futures_util::StreamExt;
    use std::cell::RefCell;

    fn run<T>(future: impl Future<Output = T>) -> T {
        actix_web::rt::System::new().block_on(future)
    }

    /// A list of `total` numbers served in pages; records the calls.
    fn pages(
        total: i64,
        calls: &RefCell<Vec<(i64, i64)>>,
    ) -> impl FnMut(i64, i64) -> std::future::Ready<Result<PaginatedList<i64>, Error>> + '_ {
        move |limit, offset| {
            calls.borrow_mut().push((limit, offset));
            let data: Vec<i64> = (offset..total.min(offset + limit)).collect();
            std::future::ready(Ok(PaginatedList::new(data, total as u64)))
        }
    }

    #[test]
    fn walks_every_page_and_stops_at_the_total() {
        let calls = RefCell::new(Vec::new());
        let all: Vec<i64> = run(items(Some(10), None, pages(25, &calls))
            .map(|r| r.unwrap())
            .collect());
        assert_eq!(all, (0..25).collect::<Vec<_>>());
        assert_eq!(*calls.borrow(), vec![(10, 0), (10, 10), (10, 20)]);
    }

    #[test]
    fn an_exact_multiple_stops_at_total_count_without_an_empty_fetch() {
        let calls = RefCell::new(Vec::new());
        let all: Vec<i64> = run(items(Some(5), Some(0), pages(10, &calls))
            .map(|r| r.unwrap())
            .collect());
        assert_eq!(all.len(), 10);
        assert_eq!(calls.borrow().len(), 2);
    }

    #[test]
    fn is_lazy_and_honours_offset() {
        let calls = RefCell::new(Vec::new());
        let first: Vec<i64> = run(items(Some(3), Some(4), pages(100, &calls))
            .take(2)
            .map(|r| r.unwrap())
            .collect());
        assert_eq!(first, vec![4, 5]);
        assert_eq!(
            *calls.borrow(),
            vec![(3, 4)],
            "only the first page is fetched"
        );
    }

    #[test]
    fn stops_after_an_error() {
        let mut n = 0;
        let results: Vec<Result<i64, Error>> = run(items(Some(2), None, move |_, _| {
            n += 1;
            std::future::ready(if n == 1 {
                Ok(PaginatedList::new(vec![1, 2], 10))
            } else {
                Err(Error::invalid_request("boom"))
            })
        })
        .collect());
        assert_eq!(results.len(), 3);
        assert!(results[2].is_err());
    }
}
