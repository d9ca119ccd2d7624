package dev.tally.connect.redis.query;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.tally.connect.redis.query.Table.Column;
import dev.tally.connect.redis.query.Table.Format;
import java.util.List;
import org.junit.jupiter.api.Test;

final class TableTest {

  private static final Table TABLE = new Table(
      List.of(new Column("product", false), new Column("count", true), new Column("final", false)),
      List.of(List.of("live", "2", "true"), List.of("a \"b\", c\nd", "1234", "false")));

  @Test
  void aTableIsAlignedWithNumbersOnTheRightAndOneLinePerRow() {
    assertEquals("""
        product      count  final
        -----------  -----  -----
        live             2  true
        a "b", c\\nd   1234  false
        """, Format.TABLE.render(TABLE));
  }

  @Test
  void jsonHasNumbersAndBooleansUnquotedAndStringsEscaped() {
    assertEquals("""
        [
          {"product": "live", "count": 2, "final": true},
          {"product": "a \\"b\\", c\\nd", "count": 1234, "final": false}
        ]
        """, Format.JSON.render(TABLE));
    assertEquals("[]\n", Format.JSON.render(new Table(TABLE.columns(), List.of())));
  }

  @Test
  void csvQuotesWhatNeedsQuoting() {
    assertEquals("product,count,final\r\nlive,2,true\r\n\"a \"\"b\"\", c\nd\",1234,false\r\n",
        Format.CSV.render(TABLE));
  }

  @Test
  void anUnknownFormatSaysWhichExist() {
    assertEquals("unknown format 'xml': use table, json or csv",
        assertThrows(QueryException.class, () -> Format.of("xml")).getMessage());
  }
}
