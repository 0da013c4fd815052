//! The consumers of the kind declaration agree: for every kind, the text form prints a
//! load exactly when the fold takes the value as the server's load, and prints the agent
//! exactly when the fold moves a user to or toward that agent.

use swarmlb_engine::{AgentId, SimTime};
use swarmlb_model::observe::{ServerView, UserView};
use swarmlb_model::{Event, Kind, Layout, Observed};
use swarmlb_trace::text::Style;

const LAYOUT: Layout = Layout {
    max_servers: 4,
    n_users: 4,
};

fn event(kind: Kind, target: AgentId, value: u32) -> Event {
    Event {
        time: SimTime(1),
        source: target,
        target,
        kind,
        value,
    }
}

#[test]
fn text_and_fold_agree_on_loads() {
    let style = Style {
        layout: LAYOUT,
        capacity: 10,
    };
    for &kind in Kind::ALL {
        let mut state = Observed::new(LAYOUT);
        state.servers[1] = (ServerView::Alive, 3);
        let e = event(kind, LAYOUT.server(1), 7);
        state.apply(&e);
        let folded_as_load = state.servers[1].1 == 7;
        let printed_as_load = style.value(&e) == "load=7/10";
        assert_eq!(
            folded_as_load,
            printed_as_load,
            "{kind}: the fold {} the value as the server's load, the text prints {:?}",
            if folded_as_load {
                "takes"
            } else {
                "does not take"
            },
            style.value(&e)
        );
    }
}

#[test]
fn text_and_fold_agree_on_user_targets() {
    let style = Style {
        layout: LAYOUT,
        capacity: 10,
    };
    let server = LAYOUT.server(2);
    for &kind in Kind::ALL {
        let mut state = Observed::new(LAYOUT);
        let e = event(kind, LAYOUT.user(1), server.0);
        state.apply(&e);
        let folded_to_agent = matches!(
            state.users[1],
            UserView::Connecting(a) | UserView::Connected(a) if a == server
        );
        let printed = style.value(&e);
        let printed_as_agent = printed.ends_with("=S2") && !printed.starts_with("load");
        if folded_to_agent {
            assert!(printed_as_agent, "{kind}: folds to S2, prints {printed:?}");
        }
    }
}
