//! The plots of the report, drawn as SVG: GET latency against the number of concurrent
//! clients, one line per server.

use std::path::{Path, PathBuf};

use plotters::prelude::*;

use crate::results::{Results, Route};
use crate::scenarios::{SWEEP, sweep_name};

/// Draws the plots into `dir`; returns (title, file) for each.
pub fn draw(results: &Results, dir: &Path) -> anyhow::Result<Vec<(String, PathBuf)>> {
    std::fs::create_dir_all(dir)?;
    let mut plots = Vec::new();
    for (quantile, label) in [(0.5, "p50"), (0.99, "p99")] {
        let series = sweep(results, quantile);
        if series.is_empty() {
            continue;
        }
        let title = format!("GET {label} latency against concurrent clients");
        let file = dir.join(format!("get-latency-{label}.svg"));
        line_chart(&file, &title, &format!("{label} latency (ms)"), &series)?;
        plots.push((title, file));
    }
    Ok(plots)
}

/// For each server, (clients, latency in ms at `quantile`) over the GET sweep.
fn sweep(results: &Results, quantile: f64) -> Vec<(String, Vec<(f64, f64)>)> {
    let mut series: Vec<(String, Vec<(f64, f64)>)> = Vec::new();
    for clients in SWEEP {
        let name = sweep_name(clients);
        let rows = results
            .requests
            .iter()
            .filter(|r| r.scenario == name && r.route == Route::Direct);
        for row in rows.filter(|r| !r.outcome.latency.is_empty()) {
            let point = (
                clients as f64,
                row.outcome.latency.value_at_quantile(quantile) as f64 / 1000.0,
            );
            match series.iter_mut().find(|(server, _)| *server == row.server) {
                Some((_, points)) => points.push(point),
                None => series.push((row.server.clone(), vec![point])),
            }
        }
    }
    series
}

fn line_chart(
    file: &Path,
    title: &str,
    y_label: &str,
    series: &[(String, Vec<(f64, f64)>)],
) -> anyhow::Result<()> {
    let root = SVGBackend::new(file, (800, 500)).into_drawing_area();
    root.fill(&WHITE)?;
    let top = series
        .iter()
        .flat_map(|(_, points)| points.iter().map(|p| p.1))
        .fold(0.0, f64::max)
        * 1.1;
    let max_clients = SWEEP.iter().copied().max().unwrap_or(1) as f64;
    let mut chart = ChartBuilder::on(&root)
        .caption(title, ("sans-serif", 22))
        .margin(15)
        .x_label_area_size(45)
        .y_label_area_size(60)
        .build_cartesian_2d((1.0..max_clients).log_scale(), 0.0..top.max(0.01))?;
    chart
        .configure_mesh()
        .x_desc("concurrent clients (log scale)")
        .y_desc(y_label)
        .draw()?;
    for (index, (server, points)) in series.iter().enumerate() {
        let color = Palette99::pick(index).to_rgba();
        chart
            .draw_series(LineSeries::new(
                points.iter().copied(),
                color.stroke_width(2),
            ))?
            .label(server.as_str())
            .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], color));
        chart.draw_series(points.iter().map(|&p| Circle::new(p, 3, color.filled())))?;
    }
    chart
        .configure_series_labels()
        .position(SeriesLabelPosition::UpperLeft)
        .background_style(WHITE.mix(0.9))
        .border_style(BLACK)
        .draw()?;
    root.present()?;
    Ok(())
}
