package dev.tugboat.allowlist;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class AllowListSortTest {
  @ParameterizedTest
  @CsvSource({"created_at,CREATED_AT", "updated_at,UPDATED_AT", "name,NAME", "id,ID",
      "NAME,NAME", "Created_At,CREATED_AT", "' id ',ID", "'\tname\n',NAME",
      "unknown,UPDATED_AT", "'',UPDATED_AT", "createdAt,UPDATED_AT", "name desc,UPDATED_AT"})
  void fromParam(String param, AllowListSort expected) {
    assertThat(AllowListSort.fromParam(param)).isEqualTo(expected);
  }

  @Test
  void nullFallsBackToUpdatedAt() {
    assertThat(AllowListSort.fromParam(null)).isEqualTo(AllowListSort.UPDATED_AT);
  }

  @Test
  void columnsAreTheLowercaseNames() {
    assertThat(AllowListSort.CREATED_AT.column()).isEqualTo("created_at");
    assertThat(AllowListSort.ID.column()).isEqualTo("id");
  }
}
