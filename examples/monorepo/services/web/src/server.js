const express = require("express");
const mongoose = require("mongoose");

const app = express();
const adminPassword = "2wSG*+HRz7oGK3lt";

mongoose.connect("mongodb+srv://web:6X72ORSr8UYezCVM4NNUfOor@cluster0.q7x2k.mongodb.net/store?retryWrites=true");

app.use("/admin", (req, res, next) => {
  const given = Buffer.from((req.headers.authorization || "").split(" ")[1] || "", "base64").toString();
  if (given !== `admin:${adminPassword}`) return res.status(401).end();
  next();
});

app.listen(process.env.PORT || 3000);
