package dev.tally.connect.redis.query;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * A query result: named columns and rows of text, rendered as an aligned table, JSON or CSV.
 *
 * @param columns the columns, in order
 * @param rows the rows; each has one cell per column
 */
public record Table(List<Column> columns, List<List<String>> rows) {

  public Table {
    columns = List.copyOf(columns);
    rows = List.copyOf(rows);
  }

  /**
   * A column.
   *
   * @param name its header and JSON field name
   * @param numeric right-aligned in a table and unquoted in JSON
   */
  public record Column(String name, boolean numeric) {
  }

  /** The output formats of the {@code query} command. */
  public enum Format {
    TABLE, JSON, CSV;

    /** Renders {@code table} in this format, ending with a newline. */
    public String render(Table table) {
      return switch (this) {
        case TABLE -> table.aligned();
        case JSON -> table.json();
        case CSV -> table.csv();
      };
    }

    public static Format of(String name) {
      try {
        return valueOf(name.trim().toUpperCase(Locale.ROOT));
      } catch (IllegalArgumentException e) {
        throw new QueryException("unknown format '" + name + "': use table, json or csv");
      }
    }
  }

  /** Columns padded to their widest cell, numbers on the right; control characters escaped. */
  String aligned() {
    int[] widths = new int[columns.size()];
    List<List<String>> cells = new ArrayList<>();
    List<String> header = columns.stream().map(Column::name).toList();
    cells.add(header);
    for (List<String> row : rows) {
      cells.add(row.stream().map(Table::printable).toList());
    }
    for (List<String> row : cells) {
      for (int c = 0; c < widths.length; c++) {
        widths[c] = Math.max(widths[c], width(row.get(c)));
      }
    }
    StringBuilder out = new StringBuilder();
    for (int r = 0; r < cells.size(); r++) {
      appendRow(out, cells.get(r), widths);
      if (r == 0) {
        List<String> rule = new ArrayList<>();
        for (int width : widths) {
          rule.add("-".repeat(width));
        }
        appendRow(out, rule, widths);
      }
    }
    return out.toString();
  }

  private void appendRow(StringBuilder out, List<String> row, int[] widths) {
    StringBuilder line = new StringBuilder();
    for (int c = 0; c < row.size(); c++) {
      String cell = row.get(c);
      String padding = " ".repeat(widths[c] - width(cell));
      if (c > 0) {
        line.append("  ");
      }
      line.append(columns.get(c).numeric() ? padding + cell : cell + padding);
    }
    out.append(line.toString().stripTrailing()).append('\n');
  }

  private static int width(String text) {
    return text.codePointCount(0, text.length());
  }

  /** Control characters as escapes, so one row stays one line. */
  private static String printable(String text) {
    StringBuilder out = new StringBuilder(text.length());
    text.codePoints().forEach(cp -> {
      if (cp == '\n') {
        out.append("\\n");
      } else if (cp == '\t') {
        out.append("\\t");
      } else if (cp == '\r') {
        out.append("\\r");
      } else if (Character.isISOControl(cp)) {
        out.append(String.format("\\u%04x", cp));
      } else {
        out.appendCodePoint(cp);
      }
    });
    return out.toString();
  }

  /** An array of objects, one per row. */
  String json() {
    StringBuilder out = new StringBuilder("[");
    for (int r = 0; r < rows.size(); r++) {
      out.append(r == 0 ? "\n  {" : ",\n  {");
      List<String> row = rows.get(r);
      for (int c = 0; c < columns.size(); c++) {
        if (c > 0) {
          out.append(", ");
        }
        out.append(jsonString(columns.get(c).name())).append(": ");
        String cell = row.get(c);
        boolean literal = columns.get(c).numeric() || cell.equals("true") || cell.equals("false");
        out.append(literal ? cell : jsonString(cell));
      }
      out.append('}');
    }
    return out.append(rows.isEmpty() ? "]\n" : "\n]\n").toString();
  }

  static String jsonString(String text) {
    StringBuilder out = new StringBuilder("\"");
    for (int i = 0; i < text.length(); i++) {
      char ch = text.charAt(i);
      switch (ch) {
        case '"' -> out.append("\\\"");
        case '\\' -> out.append("\\\\");
        case '\n' -> out.append("\\n");
        case '\r' -> out.append("\\r");
        case '\t' -> out.append("\\t");
        default -> {
          if (ch < 0x20) {
            out.append(String.format("\\u%04x", (int) ch));
          } else {
            out.append(ch);
          }
        }
      }
    }
    return out.append('"').toString();
  }

  /** RFC 4180: a header line, then the rows; cells with a comma, quote or line break quoted. */
  String csv() {
    StringBuilder out = new StringBuilder();
    out.append(String.join(",", columns.stream().map(c -> csvCell(c.name())).toList())).append("\r\n");
    for (List<String> row : rows) {
      out.append(String.join(",", row.stream().map(Table::csvCell).toList())).append("\r\n");
    }
    return out.toString();
  }

  private static String csvCell(String text) {
    if (text.contains(",") || text.contains("\"") || text.contains("\n") || text.contains("\r")) {
      return "\"" + text.replace("\"", "\"\"") + "\"";
    }
    return text;
  }
}
