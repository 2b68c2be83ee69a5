aws_region     = "eu-west-1"
aws_access_key = "AKIANILVUOH5CU6IN5PX"
aws_secret_key = "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"
db_password    = "ZE!Z13iap*%t+kBUqt65"
