# The one input the rehearsal adds to examples/complete: where moto_server listens.
variable "endpoint" {
  description = "URL of the moto_server the rehearsal started, e.g. http://127.0.0.1:5000."
  type        = string
}
