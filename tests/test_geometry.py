"""Ruling lines + positioned text → grids, on hand-built coordinates (top-left origin, points)."""
from __future__ import annotations

import pytest

from extractor import geometry as g
from extractor.model import Segment, Span
from extractor.textjoin import is_cjk, join_lines, line_separator


def ruled(xs: list[float], ys: list[float]) -> list[Segment]:
    """A full lattice: every row line across all columns, every column line down all rows."""
    return ([Segment(xs[0], y, xs[-1], y) for y in ys] + [Segment(x, ys[0], x, ys[-1]) for x in xs])


def span(text: str, x0: float, y0: float, x1: float | None = None, y1: float | None = None) -> Span:
    """A span of 10-pt glyphs starting at (x0, y0) unless the box is given."""
    return Span(text, (x0, y0, x1 if x1 is not None else x0 + 10 * len(text), y1 if y1 is not None else y0 + 10))


def boxes(grid) -> dict[tuple[int, int], tuple[int, int, str]]:
    return {(c.row, c.col): (c.rowspan, c.colspan, c.text) for c in grid.cells}


# ---- edges --------------------------------------------------------------------------------------

def test_split_drops_diagonals_and_dots() -> None:
    hs, vs = g.split_segments([Segment(0, 0, 100, 0.5), Segment(10, 0, 10.4, 50),
                               Segment(0, 0, 50, 50), Segment(5, 5, 5.2, 5.3)])
    assert [(e.pos, e.lo, e.hi) for e in hs] == [(0.25, 0, 100)]
    assert [(e.pos, e.lo, e.hi) for e in vs] == [(10.2, 0, 50)]


def test_snap_and_join_merge_broken_overlapping_and_double_lines() -> None:
    pieces = [Segment(0, 100, 40, 100), Segment(38, 100.8, 70, 100.8),   # overlapping, 0.8 pt off
              Segment(72, 99.5, 120, 99.5),                             # 2 pt gap
              Segment(0, 101.5, 120, 101.5),                            # the second line of a double border
              Segment(0, 150, 50, 150), Segment(60, 150, 120, 150)]     # a real 10 pt gap stays open
    hs, _ = g.merge_segments(pieces)
    assert len(hs) == 3
    top = [e for e in hs if e.pos < 120]
    assert len(top) == 1 and top[0].lo == 0 and top[0].hi == 120 and 99.5 < top[0].pos < 101.5
    assert sorted((e.lo, e.hi) for e in hs if e.pos == 150) == [(0, 50), (60, 120)]


def test_rect_segments_thin_fill_is_a_line_fat_fill_is_shading() -> None:
    assert g.rect_segments((10, 99.75, 200, 100.25), filled=True, stroked=False) == [Segment(10, 100, 200, 100)]
    assert g.rect_segments((49.7, 10, 50.3, 90), filled=True, stroked=False) == [Segment(50, 10, 50, 90)]
    assert g.rect_segments((10, 10, 200, 40), filled=True, stroked=False) == []
    assert len(g.rect_segments((10, 10, 200, 40), filled=True, stroked=True)) == 4
    assert g.rect_segments((10, 10, 11, 11), filled=True, stroked=False) == []


# ---- cells and grids ------------------------------------------------------------------------------

def test_plain_lattice() -> None:
    grids, lines = g.extract_grids(ruled([0, 50, 120, 200], [0, 20, 40]), [], page=3)
    assert len(grids) == 1 and lines == []
    grid = grids[0]
    assert (grid.page, grid.n_rows, grid.n_cols) == (3, 2, 3)
    assert len(grid.cells) == 6
    assert grid.cells[4].bbox == (50, 20, 120, 40) and (grid.cells[4].row, grid.cells[4].col) == (1, 1)
    assert grid.bbox == (0, 0, 200, 40)


def test_merged_cells_get_spans() -> None:
    # row 0: one cell over all 3 columns; column 0: one cell over rows 1-2
    segs = [Segment(0, y, 300, y) for y in (0, 20, 60)] + [Segment(100, 40, 300, 40)]
    segs += [Segment(0, 0, 0, 60), Segment(300, 0, 300, 60), Segment(100, 20, 100, 60), Segment(200, 20, 200, 60)]
    grid = g.extract_grids(segs, [], page=1)[0][0]
    assert (grid.n_rows, grid.n_cols) == (3, 3)
    spans = {(c.row, c.col): (c.rowspan, c.colspan) for c in grid.cells}
    assert spans == {(0, 0): (1, 3), (1, 0): (2, 1), (1, 1): (1, 1), (1, 2): (1, 1), (2, 1): (1, 1), (2, 2): (1, 1)}
    assert next(c for c in grid.cells if c.row == 1 and c.col == 0).bbox == (0, 20, 100, 60)


def test_broken_and_short_lines_give_the_clean_grid() -> None:
    # every border drawn per cell, with jitter, small gaps, and verticals stopping 2 pt short
    segs: list[Segment] = []
    for r, y in enumerate((0, 20, 40)):
        for x0, x1 in ((0, 50), (51.5, 100)):
            segs.append(Segment(x0, y + 0.4 * r, x1, y + 0.4 * r))
    for x in (0, 50, 100):
        segs += [Segment(x + 0.3, 2, x + 0.3, 19), Segment(x, 20.5, x, 38)]
    grid = g.extract_grids(segs, [], page=1)[0][0]
    assert (grid.n_rows, grid.n_cols, len(grid.cells)) == (2, 2, 4)
    assert all(c.rowspan == 1 and c.colspan == 1 for c in grid.cells)


def test_two_tables_on_a_page_are_two_grids_in_reading_order() -> None:
    segs = ruled([0, 100, 200], [300, 320, 340]) + ruled([0, 60, 120, 180], [0, 20, 40, 60])
    spans = [span("下表", 105, 305), span("上表", 65, 25)]
    grids, _ = g.extract_grids(segs, spans, page=1)
    assert [(gr.n_rows, gr.n_cols) for gr in grids] == [(3, 3), (2, 2)]
    assert grids[0].order < grids[1].order
    assert boxes(grids[0])[(1, 1)][2] == "上表"
    assert boxes(grids[1])[(0, 1)][2] == "下表"


def test_single_cell_boxes_are_not_grids() -> None:
    frame = ruled([0, 500], [0, 700])
    title_box = ruled([150, 350], [20, 50])
    table = ruled([50, 150, 250], [100, 120, 140])
    grids, lines = g.extract_grids(frame + title_box + table, [span("自评表", 185, 30), span("甲", 60, 105)], page=1)
    assert len(grids) == 1 and (grids[0].n_rows, grids[0].n_cols) == (2, 2)
    assert boxes(grids[0])[(0, 0)][2] == "甲"
    assert [ln.text for ln in lines] == ["自评表"]


def test_group_tables_by_shared_corners() -> None:
    cells = [(0, 0, 10, 10), (10, 0, 20, 10), (50, 50, 60, 60), (0, 10, 10, 20)]
    groups = g.group_tables(cells)
    assert sorted(len(t) for t in groups) == [1, 3]


# ---- text -------------------------------------------------------------------------------------

def test_text_goes_to_the_cell_holding_its_centre() -> None:
    segs = ruled([0, 100, 200], [0, 30, 60])
    spans = [span("居中", 40, 10),                          # centred
             Span("跨线文字", (60, 35, 140, 45)),             # centre x=100.0 sits on the border: goes right
             Span("偏左", (80, 38, 115, 48)),                # straddles the border, centre on the left
             span("表外", 10, 80)]                          # below the table
    grids, lines = g.extract_grids(segs, spans, page=1)
    texts = boxes(grids[0])
    assert texts[(0, 0)][2] == "居中"
    assert texts[(1, 0)][2] == "偏左"
    assert texts[(1, 1)][2] == "跨线文字"
    assert texts[(0, 1)][2] == ""
    assert [ln.text for ln in lines] == ["表外"]


def test_multi_line_cell_text_in_reading_order() -> None:
    segs = ruled([0, 200, 400], [0, 60])
    spans = [span("完成杰出人才", 5, 20), span("评选", 5, 32), span("2023年计划", 5, 5),     # CJK, shuffled
             Span("Total", (205, 5, 235, 15)), Span("amount", (240, 5, 280, 15)),        # one line, 2 words
             Span("spent", (205, 18, 235, 28)),                                          # wrapped word
             Span("3302002030", (205, 31, 265, 41)), Span("6908", (205, 44, 229, 54))]   # wrapped number
    grid = g.extract_grids(segs, spans, page=1)[0][0]
    texts = boxes(grid)
    assert texts[(0, 0)][2] == "2023年计划完成杰出人才评选"
    assert texts[(0, 1)][2] == "Total amount spent 33020020306908"


def test_line_separators() -> None:
    assert line_separator("人", "才") == ""
    assert line_separator("a", "b") == " "
    assert line_separator("1", "2") == ""
    assert line_separator("0", "%") == ""
    assert line_separator("5", "个") == ""
    assert is_cjk("，") and is_cjk("（") and not is_cjk("≥") and not is_cjk("a")


def test_cjk_spans_with_letter_spacing_join_without_spaces() -> None:
    spans = [span("项", 0, 0), span("目", 25, 0), span("名", 50, 0), span("称", 75, 0)]
    assert join_lines(spans) == "项目名称"
    assert join_lines([span("1,563.92", 0, 0), span("万元", 80, 0)]) == "1,563.92万元"       # touching
    assert join_lines([span("建设；", 0, 0), span("2、指导", 33, 0)]) == "建设； 2、指导"    # a printed space


def test_leftover_text_lines_are_ordered_around_the_grid() -> None:
    segs = ruled([50, 150, 250], [100, 120, 140])
    spans = [span("注：总分100分", 50, 160), span("项目支出绩效自评表", 80, 40),
             span("（2023年度）", 100, 60), span("单位：万元", 200, 85), span("填报单位：某局", 50, 85)]
    grids, lines = g.extract_grids(segs, spans, page=1)
    assert [ln.text for ln in lines] == ["项目支出绩效自评表", "（2023年度）", "填报单位：某局", "单位：万元", "注：总分100分"]
    order = sorted([(ln.order, ln.text) for ln in lines] + [(grids[0].order, "GRID")])
    assert [t for _, t in order] == ["项目支出绩效自评表", "（2023年度）", "填报单位：某局", "单位：万元", "GRID",
                                     "注：总分100分"]
    assert lines[0].bbox == (80, 40, 170, 50)


def test_far_apart_fields_split_but_a_spread_out_title_does_not() -> None:
    spans = [span(ch, 100 + 60 * i, 10, y1=24) for i, ch in enumerate("自评表汇总")]  # 46 pt gaps, 14 pt glyphs
    spans += [span("填报单位：某局", 20, 40), span("单位：万元", 400, 40)]
    assert [ln.text for ln in g.text_lines(spans)] == ["自评表汇总", "填报单位：某局", "单位：万元"]


def test_cell_confidence_is_the_lowest_of_its_spans() -> None:
    segs = ruled([0, 100, 200], [0, 30])
    spans = [Span("良", (10, 10, 20, 20), 0.9), Span("好", (20, 10, 30, 20), 0.6)]
    grid = g.extract_grids(segs, spans, page=1)[0][0]
    assert grid.cells[0].text == "良好" and grid.cells[0].confidence == pytest.approx(0.6)
    assert grid.cells[1].confidence == 1.0


def test_no_rulings_means_no_grids() -> None:
    grids, lines = g.extract_grids([], [span("只有文字", 0, 0)], page=1)
    assert grids == [] and [ln.text for ln in lines] == ["只有文字"]


def test_a_table_without_cells_keeps_the_rest_and_leaves_its_source_whole():
    from extractor.model import without_cells

    table = {"page": 2, "bbox": [1.0, 2.0, 3.0, 4.0], "rows": 3, "cols": 2, "cells": [{"row": 0}]}
    assert without_cells(table) == {"page": 2, "bbox": [1.0, 2.0, 3.0, 4.0], "rows": 3, "cols": 2}
    assert table["cells"] == [{"row": 0}]
    assert without_cells("not a table") == "not a table"
