//! TUI speed: start to first frame, and the time to draw each screen.
//!
//! Run: `cargo bench --bench tui` (in-process figures), and `benches/tui.sh` for the real
//! binary in a terminal (start-up, idle CPU, peak memory). Frames are drawn into ratatui's
//! `TestBackend`, so the figures are layout and rendering, not the terminal's own speed.

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use relaydoc::engine::Facts;
use relaydoc::knowledge::Knowledge;
use relaydoc::tui::model::{Model, Msg, update};
use relaydoc::tui::theme::Theme;
use relaydoc::tui::view::view;

fn press(model: &mut Model<'_>, code: KeyCode) {
    update(model, Msg::Key(KeyEvent::new(code, KeyModifiers::NONE)));
}

/// Home → … → the solution for Thunderbird with Gmail's settings.
fn at_solution(knowledge: &Knowledge, size: (u16, u16)) -> Model<'_> {
    let mut model = Model::new(knowledge, Facts::new(), Theme::new(true), size);
    for code in [
        KeyCode::Enter,
        KeyCode::Enter,
        KeyCode::Enter,
        KeyCode::End,
        KeyCode::Up,
    ] {
        press(&mut model, code);
    }
    press(&mut model, KeyCode::Enter);
    for c in "me@gmail.com".chars() {
        press(&mut model, KeyCode::Char(c));
    }
    for code in [
        KeyCode::Enter,
        KeyCode::Enter,
        KeyCode::Enter,
        KeyCode::Char('2'),
        KeyCode::Enter,
    ] {
        press(&mut model, code);
    }
    model
}

fn benches(c: &mut Criterion) {
    c.bench_function("first frame (load knowledge, model, draw 80x24)", |b| {
        b.iter(|| {
            let knowledge = relaydoc::knowledge::bundled().expect("bundled knowledge");
            let model = Model::new(&knowledge, Facts::new(), Theme::new(true), (80, 24));
            let mut terminal = Terminal::new(TestBackend::new(80, 24)).expect("terminal");
            terminal.draw(|frame| view(&model, frame)).expect("draw");
            black_box(terminal.backend().buffer().area);
        });
    });

    let knowledge = relaydoc::knowledge::bundled().expect("bundled knowledge");
    for size in [(80u16, 24u16), (140, 40)] {
        let mut terminal = Terminal::new(TestBackend::new(size.0, size.1)).expect("terminal");
        let mut question = Model::new(&knowledge, Facts::new(), Theme::new(true), size);
        press(&mut question, KeyCode::Enter);
        press(&mut question, KeyCode::Tab);
        c.bench_function(&format!("frame: question {}x{}", size.0, size.1), |b| {
            b.iter(|| terminal.draw(|frame| view(&question, frame)).map(|_| ()));
        });
        let solution = at_solution(&knowledge, size);
        c.bench_function(&format!("frame: solution {}x{}", size.0, size.1), |b| {
            b.iter(|| terminal.draw(|frame| view(&solution, frame)).map(|_| ()));
        });
        let mut browse = Model::new(&knowledge, Facts::new(), Theme::new(true), size);
        press(&mut browse, KeyCode::Char('3'));
        c.bench_function(
            &format!("keystroke + frame: browse search {}x{}", size.0, size.1),
            |b| {
                b.iter(|| {
                    press(&mut browse, KeyCode::Char('o'));
                    terminal.draw(|frame| view(&browse, frame)).map(|_| ())?;
                    press(&mut browse, KeyCode::Backspace);
                    terminal.draw(|frame| view(&browse, frame)).map(|_| ())
                });
            },
        );
    }
}

criterion_group! {
    name = tui;
    config = Criterion::default().sample_size(30).measurement_time(std::time::Duration::from_secs(2));
    targets = benches
}
criterion_main!(tui);
