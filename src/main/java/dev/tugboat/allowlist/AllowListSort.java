package dev.tugboat.allowlist;

import java.util.Locale;

/** imagelist's {@code sort} values; always descending, anything unknown falls back to updated_at. */
public enum AllowListSort {
  CREATED_AT, UPDATED_AT, NAME, ID;

  public static AllowListSort fromParam(String value) {
    if (value != null) {
      for (AllowListSort sort : values()) {
        if (sort.column().equals(value.trim().toLowerCase(Locale.ROOT))) {
          return sort;
        }
      }
    }
    return UPDATED_AT;
  }

  String column() {
    return name().toLowerCase(Locale.ROOT);
  }
}
