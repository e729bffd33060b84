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
