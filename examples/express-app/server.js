// A small Express server with two performance problems PerfLens flags as you type:
// a blocking file read inside a request handler, and one query per order (N+1).
'use strict';
const fs = require('node:fs');
const express = require('express');
const { Pool } = require('pg');

const app = express();
const pool = new Pool();

app.get('/report', async (req, res) => {
  const template = fs.readFileSync(`${__dirname}/report.html`, 'utf8');
  res.send(template.replace('{{user}}', String(req.query.user)));
});

app.get('/orders', async (req, res) => {
  const { rows: orders } = await pool.query('SELECT id, customer_id FROM orders LIMIT 50');
  for (const order of orders) {
    const { rows } = await pool.query('SELECT name FROM customers WHERE id = $1', [order.customer_id]);
    order.customer = rows[0];
  }
  res.json(orders);
});

module.exports = app;
