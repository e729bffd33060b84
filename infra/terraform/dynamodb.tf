# Same key as the article's Books_Table (book_id, a string): its items and clients keep working.
resource "aws_dynamodb_table" "this" {
  name                        = var.table_name
  billing_mode                = "PAY_PER_REQUEST"
  hash_key                    = "book_id"
  deletion_protection_enabled = var.deletion_protection_enabled

  attribute {
    name = "book_id"
    type = "S"
  }

  point_in_time_recovery {
    enabled = true
  }

  server_side_encryption {
    enabled     = true
    kms_key_arn = aws_kms_key.this.arn
  }

  tags = local.tags
}

# The article's five books (the ones the local gateway starts with), written once: later edits
# through the API are not reverted, but an item deleted through the API comes back on the next
# apply while this stays on.
resource "aws_dynamodb_table_item" "sample" {
  for_each = {
    for key, item in jsondecode(file("${local.repository_root}/src/books_api/data/books.json")) :
    key => jsonencode(item) if var.seed_sample_books
  }

  table_name = aws_dynamodb_table.this.name
  hash_key   = aws_dynamodb_table.this.hash_key
  item       = each.value

  lifecycle {
    ignore_changes = [item]
  }
}
